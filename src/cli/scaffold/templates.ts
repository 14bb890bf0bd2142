/**
 * The files `kelos new` writes: a GitOps repository that works as it stands. `npm install &&
 * npx kelos synth && npx kelos check` passes in it with 0 errors and 0 warnings, which the
 * package test proves from the packed tarball.
 *
 * Kept as template strings (not files copied at run time) so the built package needs no
 * assets beside its JavaScript.
 *
 * @packageDocumentation
 */

/** What the templates are filled with. */
export interface ScaffoldOptions {
  /** Name of the repository (the directory's name): the npm package name and the README title. */
  readonly name: string;
  /** Version range of kelos-ts the repository depends on. */
  readonly kelosVersion: string;
  /** The git repository Argo CD syncs `dist/` from. */
  readonly repoURL: string;
}

/** Node versions the repository runs on: the range kelos-ts supports. */
const NODE_RANGE = '^22.18.0 || >=24';

const packageJson = (o: ScaffoldOptions): string =>
  `${JSON.stringify(
    {
      name: o.name,
      version: '0.0.0',
      private: true,
      description:
        'Kelos agents for this organisation, declared in TypeScript and synced by Argo CD from dist/',
      type: 'module',
      engines: { node: NODE_RANGE },
      scripts: {
        synth: 'kelos synth',
        check: 'kelos check',
        typecheck: 'tsc --noEmit',
      },
      dependencies: { 'kelos-ts': o.kelosVersion },
      devDependencies: { '@types/node': '^22.18.0', typescript: '~5.9.3' },
    },
    null,
    2,
  )}\n`;

const TSCONFIG = `{
  // Apps run as written: Node strips the types (erasable syntax only, imports name .ts files).
  // tsc only typechecks.
  "compilerOptions": {
    "target": "ES2023",
    "lib": ["ES2023"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "types": ["node"],
    "strict": true,
    "noEmit": true,
    "allowImportingTsExtensions": true,
    "erasableSyntaxOnly": true,
    "verbatimModuleSyntax": true,
    "skipLibCheck": true
  },
  "include": ["apps", "deploy"]
}
`;

/**
 * The `kelos:` section of the scaffold's `cdk8s.yaml`, which `kelos new --existing` prints for a
 * `cdk8s.yaml` that has none.
 */
export const CDK8S_KELOS_SECTION = `kelos:
  apps:
    - apps/*/main.ts
  outdir: dist/apps
  crds: dist/crds
  bundles:
    - app: deploy/install.ts
      outdir: dist/install
    - app: deploy/argocd.ts
      outdir: dist/argocd
`;

const CDK8S_YAML = `# kelos synth reads the kelos section: every module matched by apps renders to <outdir>/<app>/
# with a kustomization.yaml (one Argo CD Application per app directory); the CRDs go to crds;
# each bundle renders into its own directory. Plain cdk8s ignores the section.
language: typescript
${CDK8S_KELOS_SECTION}`;

const INSTALL = `/**
 * The Kelos operator, as Argo CD installs it from dist/install (sync waves: RBAC, then the
 * operator). Settings: imagePrefix (and imagePullSecrets) for a registry mirror, watchNamespaces
 * for a namespaced install, replicas, resources, monitor ('ServiceMonitor' | 'PodMonitor'),
 * nodeSelector, tolerations, affinity and priorityClassName for where the operator runs.
 */
import type { Construct } from 'constructs';
import { KelosInstall } from 'kelos-ts';

export default (scope: Construct): void => {
  new KelosInstall(scope, 'kelos', {});
};
`;

const argocd = (o: ScaffoldOptions): string => `/**
 * The Argo CD objects, rendered into dist/argocd: the root Application (app of apps) that syncs
 * dist/argocd itself, then dist/crds, dist/install and one Application per dist/apps/<app>/.
 * repoURL is the git repository Argo CD reads; targetRevision the branch it follows.
 */
import type { Construct } from 'constructs';
import { KelosArgoCd } from 'kelos-ts';

export default (scope: Construct): void => {
  new KelosArgoCd(scope, 'kelos', {
    repoURL: '${o.repoURL}',
    targetRevision: 'main',
    paths: { argocd: 'dist/argocd', crds: 'dist/crds', install: 'dist/install', apps: 'dist/apps' },
  });
};
`;

const APP = `/**
 * The issue worker: GitHub issues labelled \`agent\` become Tasks once a maintainer comments
 * \`/kelos pick-up\`; the agent opens a pull request on its own branch (kelos/issue-<number>).
 * Replace the repository, the bot login and the team with your own.
 */
import { AgentConfig, type AppBuilder, IssueWorker, synthWhenMain, TaskBudget, Workspace } from 'kelos-ts';

const team = 'platform';

const issueWorker: AppBuilder = (scope) => {
  const workspace = new Workspace(scope, 'workspace', {
    metadata: { name: 'my-repo' },
    repo: 'https://github.com/my-org/my-repo.git',
    ref: 'main',
    // Created outside git (see kelos.policy.yaml, externalSecrets).
    secretRef: { name: 'github-token' },
  });
  const conventions = new AgentConfig(scope, 'conventions', {
    metadata: { name: 'my-repo-conventions' },
    agentsMD: \`- Run the tests before every commit.
- Keep pull requests small; one issue per pull request.
- Never disable or skip a test to make the suite pass.
\`,
  });
  new IssueWorker(scope, 'issue-worker', {
    metadata: { name: 'my-repo-issue-worker' },
    workspace,
    agentConfigs: [conventions],
    botLogin: 'my-org-kelos[bot]',
    credentials: { type: 'oauth', secretRef: { name: 'claude-oauth-token' } },
    model: 'claude-sonnet-4-5',
    labels: ['agent'],
    // One agent at a time; with a 2 h deadline per Task (the pattern's default).
    maxConcurrency: 1,
    // 2Gi of memory reserved and 8Gi at most: an agent past that is OOM-killed alone, not
    // the other Pods of its node (hygiene/agent-memory-limit). Size it to your builds.
    podOverrides: { resources: { requests: { memory: '2Gi' }, limits: { memory: '8Gi' } } },
    // The pattern's lifetime cap is 100 Tasks; raise it deliberately.
    taskLabels: { team },
  });
  new TaskBudget(scope, 'budget', {
    metadata: { name: \`\${team}-daily\` },
    taskSelector: { matchLabels: { team } },
    period: { type: 'Daily', timezone: 'UTC' },
    // The policy forecast's worst case: 1 agent × 24 h × 6 USD/h = 144 USD a day.
    maxCostUSD: '150',
  });
};

export default issueWorker;

synthWhenMain(import.meta, issueWorker); // \`node apps/issue-worker/main.ts\` works as a plain cdk8s app too (into cdk8s.out/)
`;

const POLICY = `# Policy configuration of kelos check (and of the policy step of kelos synth). Every key is
# optional; what is not set keeps the built-in default. \`npx kelos check --list-rules\` lists the
# rules. Unknown keys are errors.

# Per-rule settings by rule id: off, on, error, warning, info, or {enabled, severity}.
# One object opts out with the annotations policy.kelos.dev/ignore: <rule-id> and
# policy.kelos.dev/ignore-reason: <why> (every report lists the opt-outs).
rules: {}

thresholds:
  # Most Tasks one TaskSpawner may run at once (budget/spawner-max-concurrency). Each running
  # agent costs money by the hour, so a runaway trigger is bounded by this times the deadline.
  maxConcurrency: 10
  # Longest podOverrides.activeDeadlineSeconds of a Task or task template, in seconds
  # (budget/active-deadline): 4 h. An agent stuck in a loop stops being billed here.
  maxActiveDeadlineSeconds: 14400
  # Shortest pollInterval of a GitHub or Jira source (concurrency/poll-interval): polling faster
  # spends the API rate limit the rest of the organisation shares. Written as a Go duration
  # (30s, 1m, 1h30m) or a bare number of seconds (60), as pollInterval itself is read.
  minPollInterval: 1m

# The GitHub logins the agents act as. GitHub-triggered spawners must exclude them as authors, so
# an agent never picks up work it filed itself (security/exclude-bot-authors); a source whose
# author filter names one of them (a PrResponder) needs a trigger comment instead.
botIdentities: ['my-org-kelos[bot]']

# Secrets that live outside git (sealed-secrets, external-secrets, kubectl create secret) and
# exist in the cluster. A reference to a listed Secret is fine. In manifests/, a reference to any
# other Secret that is not in git is an error (ref/secret-external), so a typo fails the commit
# and CI: the hooks and CI validate manifests/ with --strict-refs, under which every reference
# must resolve in git (beside what the apps render in dist/) or, for a Secret, be listed here.
# In the apps, kelos synth warns of such a Secret.
externalSecrets:
  - github-token        # the Workspace's token: GITHUB_TOKEN, or a GitHub App's appID/installationID/privateKey
  - claude-oauth-token  # the agent's credentials: CLAUDE_CODE_OAUTH_TOKEN

# Namespaces created outside this repository (by a platform team, another repository). Argo CD's
# CreateNamespace=true creates only the apps' destination namespace (default, see
# deploy/argocd.ts); an app whose objects name another one renders it (new AppNamespace(scope,
# 'namespace', { name: 'team-a' })) or lists it here, or synth warns (argocd/namespace-missing).
externalNamespaces: []

# Worst-case cost of one running agent in USD per hour, per agent type and model, for the budget
# forecast (forecast/budget-worst-case): a TaskBudget must cover what its spawners could spend
# at full concurrency for a whole period. Set them from your own TaskRecords.
rates:
  claude-code: {default: 6}

# enforce: kelos synth writes nothing when a policy error is found (report: list them as warnings).
synth: enforce
`;

/**
 * The files whose change can change what a hook reports, besides its own inputs: the policy
 * (kelos.policy.yaml, or cdk8s.yaml's policy section in its absence) and the kelos-ts that
 * package.json and package-lock.json pin, whose rules, schemas and CRDs every hook uses.
 */
const HOOK_CONFIG = String.raw`cdk8s\.yaml$|kelos\.policy\.yaml$|package(-lock)?\.json$`;

/**
 * The start of every hook's shell script: in a clone where `npm ci` has not run, `npx --no-install
 * kelos` asks the npm registry for a package named `kelos` and fails with its 404; this says what
 * to do instead, without touching the network. `.pre-commit-hooks.yaml` says the same.
 */
const INSTALLED =
  'test -e node_modules/.bin/kelos || { echo "kelos-ts is not installed in this repository (no node_modules/.bin/kelos); run npm ci" >&2; exit 1; }';

/** A hook's entry running `kelos <command>` from the repository's node_modules. */
const kelosEntry = (command: string): string =>
  `sh -c '${INSTALLED}; exec node_modules/.bin/kelos "$@"' kelos ${command}`;

/**
 * What manifests/ is read beside, in sh: the rendered apps in dist/ and, when the repository
 * keeps hand-written Argo CD Applications or ApplicationSets in a root argocd/, those too, so
 * manifests/ is bundled as they sync it (without them, two directories an ApplicationSet
 * deploys into two namespaces would be one bundle, and their objects false duplicates).
 */
const BESIDE = 'b=; test -d dist && b=dist/; test -d argocd && b="$b argocd/"';

/**
 * Runs a kelos command on manifests/ only when it holds a manifest: a hook started by a change
 * to the policy must pass in a repository with no manifests/ yet (or only a .gitkeep), where
 * `kelos validate manifests/` is a usage error. The CI workflow uses the same test.
 */
const onManifests = (command: string): string =>
  `sh -c '${INSTALLED}; if find manifests -name "*.yaml" -o -name "*.yml" -o -name "*.json" 2>/dev/null | grep -q .; then ${BESIDE}; exec node_modules/.bin/kelos ${command} manifests/ \${b:+--beside $b}; fi'`;

const PRE_COMMIT = `# pre-commit (https://pre-commit.com): \`pre-commit install\` once, after \`npm install\`.
# The hooks run the kelos of this repository's node_modules (node_modules/.bin/kelos, through
# sh), so pre-commit, CI and your shell use the version package-lock.json pins; in a clone where
# npm ci has not run, each fails at once saying so.
#
# Every hook runs on every commit (always_run: true): pre-commit gives hooks only the files a
# commit adds or changes, so a commit that only deletes files (a Workspace Tasks still use, an
# app whose dist/ stays behind) would otherwise run none. None takes the staged file names
# (pass_filenames: false): each reads all it checks, so a stricter policy is held against every
# manifest. The cost, on the project kelos new writes: about 1.5 s of CPU each for the two app
# hooks, under 1 s for the manifests/ ones (nothing when manifests/ holds no manifest). To run a
# hook only when a file its result depends on is staged (its files: its own inputs, the policy,
# package.json/package-lock.json), set its always_run: false; add to an app hook's files any
# directory an app imports code from.
# verbose: a hook that passes still shows its warnings (a Secret an app references that must
# exist in the cluster, a name one letter off one an app deploys), which pre-commit hides otherwise.
repos:
  - repo: local
    hooks:
      - id: kelos-check
        name: kelos check (apps)
        entry: ${kelosEntry('check')}
        language: system
        pass_filenames: false
        always_run: true
        verbose: true
        files: ^(apps/|deploy/|${HOOK_CONFIG})
      - id: kelos-synth-check
        name: kelos synth --check (dist/ is up to date)
        entry: ${kelosEntry('synth --check')}
        language: system
        pass_filenames: false
        always_run: true
        verbose: true
        files: ^(apps/|deploy/|dist/|\\.kelos-synth\\.json$|${HOOK_CONFIG})
      # Plain YAML kept as it is (not rendered by an app) goes in manifests/. The hooks read the
      # whole folder, not only the staged files, beside the rendered apps in dist/: references
      # and policies such as budget/namespace-covered look across the objects of a bundle (a
      # TaskBudget an app deploys covers a spawner here). --strict-refs: every reference must
      # resolve here or in dist/ (a Secret outside git: listed under externalSecrets), so a typo
      # or a Workspace deleted while Tasks still use it fails the commit; drop it if manifests/
      # references Kelos objects another repository deploys.
      - id: kelos-validate-manifests
        name: kelos validate (manifests/)
        entry: ${onManifests('validate --strict-refs')}
        language: system
        pass_filenames: false
        always_run: true
        verbose: true
        files: ^(manifests/.*\\.(ya?ml|json)$|${HOOK_CONFIG})
      - id: kelos-check-manifests
        name: kelos check (manifests/)
        entry: ${onManifests('check')}
        language: system
        pass_filenames: false
        always_run: true
        verbose: true
        files: ^(manifests/.*\\.(ya?ml|json)$|${HOOK_CONFIG})
`;

const WORKFLOW = `# Renders the apps, fails when dist/ is stale, and uploads the policy report to code scanning.
name: kelos
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
  security-events: write
jobs:
  kelos:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 24
          cache: npm
      - run: npm ci
      - run: npx tsc --noEmit
      - run: npx kelos synth --check
      # validate and check both run, so one run shows every finding; the step fails if either does.
      - name: plain manifests (manifests/), when there are any
        run: |
          if find manifests -name '*.yaml' -o -name '*.yml' -o -name '*.json' 2>/dev/null | grep -q .; then
            status=0
            b=dist/; test -d argocd && b="$b argocd/"
            npx kelos validate --strict-refs manifests/ --beside $b || status=$?
            npx kelos check manifests/ --beside $b || status=$?
            exit $status
          fi
      - run: npx kelos check --format sarif --output kelos.sarif
      # Also when a step above failed, but only when the report was written (a stale dist/ stops
      # the job before it; uploading nothing would add a second, misleading failure).
      - uses: github/codeql-action/upload-sarif@v3
        if: always() && hashFiles('kelos.sarif') != ''
        with:
          sarif_file: kelos.sarif
          category: kelos
`;

const GITIGNORE = `node_modules/
cdk8s.out/
*.sarif
`;

const readme = (o: ScaffoldOptions): string => `# ${o.name}

Kelos agents, declared in TypeScript with [kelos-ts](https://www.npmjs.com/package/kelos-ts)
and rendered into \`dist/\`, which Argo CD syncs.

\`\`\`sh
npm install
npx kelos synth          # render apps/*/main.ts into dist/apps/<app>/ and the CRDs into dist/crds/
npx kelos check          # budget, concurrency and security policies (kelos.policy.yaml)
pre-commit install       # run the checks before every commit (.pre-commit-config.yaml)
\`\`\`

- \`apps/<app>/main.ts\`: one app per directory; \`dist/apps/<app>/\` is what one Argo CD
  Application syncs (it has a \`kustomization.yaml\`).
- \`kelos.policy.yaml\`: policy thresholds, and \`externalSecrets\`, the Secrets that live in the
  cluster but not in git. Create them before the agents run:

  \`\`\`sh
  kubectl create secret generic github-token --from-literal=GITHUB_TOKEN=...
  kubectl create secret generic claude-oauth-token --from-literal=CLAUDE_CODE_OAUTH_TOKEN=...
  \`\`\`

- Namespaces: each app's Application deploys into \`default\` (\`appsNamespace\` in
  \`deploy/argocd.ts\`), which Argo CD creates (\`CreateNamespace=true\`), and creates no other.
  An app whose objects set \`metadata.namespace: team-a\` renders that namespace too
  (\`new AppNamespace(scope, 'namespace', { name: 'team-a' })\`, from kelos-ts), or, when someone
  else creates it, lists it under \`externalNamespaces\` in \`kelos.policy.yaml\`;
  \`kelos synth\` and \`kelos check\` warn otherwise (\`argocd/namespace-missing\`).
- \`deploy/install.ts\` renders the operator install into \`dist/install/\`, \`deploy/argocd.ts\` the
  Argo CD objects into \`dist/argocd/\`, and \`dist/crds/\` holds the kelos.dev CRDs. Argo CD reads
  \`${o.repoURL}\` (set \`repoURL\` in \`deploy/argocd.ts\`); with this
  repository pushed there, two commands deploy everything, wave by wave (CRDs, install, apps):

  \`\`\`sh
  kubectl apply --server-side --field-manager=kelos -f dist/argocd/configmap-argocd-cm.yaml  # health checks
  kubectl apply -f dist/argocd/application-kelos.yaml                                         # the root Application
  \`\`\`

  Without Argo CD: \`kubectl apply --server-side -k dist/crds && kubectl apply --server-side -k dist/install\`.
- \`manifests/\` (create it when you need it): plain YAML kept as it is rather than rendered by
  an app. The pre-commit hooks and CI run \`kelos validate --strict-refs\` and \`kelos check\` on it,
  beside the rendered apps (\`--beside dist/\`: a TaskBudget or Workspace an app deploys counts here
  too; and beside a root \`argocd/\` of hand-written Applications or ApplicationSets, when there is
  one, so manifests/ is bundled as they sync it; every reference must resolve in git, a Secret
  outside git being listed under \`externalSecrets\`; the hooks run on every commit, one that only deletes a file included, so
  a change to \`kelos.policy.yaml\` or the kelos-ts in \`package.json\` is held against it too);
  add an Argo CD Application for it in \`deploy/argocd.ts\` to sync it.
- \`.github/workflows/kelos.yml\`: CI runs \`kelos synth --check\` (dist/ must be committed up to
  date), validates and checks \`manifests/\`, and uploads \`kelos check\` as SARIF to code scanning.
`;

/** Every file of a new repository, by path relative to its root. */
export const scaffoldFiles = (o: ScaffoldOptions): ReadonlyMap<string, string> =>
  new Map([
    ['package.json', packageJson(o)],
    ['tsconfig.json', TSCONFIG],
    ['cdk8s.yaml', CDK8S_YAML],
    ['apps/issue-worker/main.ts', APP],
    ['deploy/install.ts', INSTALL],
    ['deploy/argocd.ts', argocd(o)],
    ['kelos.policy.yaml', POLICY],
    ['.pre-commit-config.yaml', PRE_COMMIT],
    ['.github/workflows/kelos.yml', WORKFLOW],
    ['.gitignore', GITIGNORE],
    ['README.md', readme(o)],
  ]);
