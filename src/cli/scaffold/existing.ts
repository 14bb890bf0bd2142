/**
 * What `kelos new --existing` says of a scaffold file the repository already has: the file is
 * kept as it is, and this computes, from its content and the scaffold's own version of it, what
 * the user must add for Kelos to work. The scaffold's text is the one source of what is needed
 * (the pinned versions, the compiler options, the hook ids), so this cannot drift from it.
 *
 * @packageDocumentation
 */
import { parse as parseYaml } from 'yaml';
import { CDK8S_KELOS_SECTION } from './templates.ts';

/**
 * `text` as one shell word, so a printed command can be pasted as it is. npm specifiers
 * (`kelos-ts@^0.2.0`, `typescript@~5.9.3`) stay bare: none of their characters is special
 * to sh, bash or zsh after the first.
 */
export const shellWord = (text: string): string =>
  /^[\w./@-][\w./@^~:+=,-]*$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `a`, `a and b`, `a, b and c`. */
const list = (items: readonly string[]): string =>
  items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

/** The first line of an error, which is what a parser's message says (the yaml parser's ends in a colon before the excerpt). */
const reason = (err: unknown): string =>
  ((err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '').replace(/:$/, '');

/**
 * JSON with comments and trailing commas, as tsc reads `tsconfig.json`. Comments and trailing
 * commas are blanked out (newlines kept) so JSON.parse's positions still point into the file.
 * Written here rather than taken from `jsonc-parser` or TypeScript (a dev dependency only): it
 * reads one file, once, to advise, and a runtime dependency for that would ship to every user.
 */
export const parseJsonc = (text: string): unknown => {
  const blank = (m: string): string => (m.startsWith('"') ? m : m.replace(/[^\n]/g, ' '));
  const strings = String.raw`"(?:[^"\\\n]|\\.)*"`;
  const uncommented = text
    .replace(/^\uFEFF/, '')
    .replace(new RegExp(String.raw`${strings}|\/\/[^\n]*|\/\*[\s\S]*?\*\/`, 'g'), blank);
  return JSON.parse(uncommented.replace(new RegExp(String.raw`${strings}|,(?=\s*[}\]])`, 'g'), blank));
};

/** Where the scaffold's own version of a kept file can be seen. */
const SCAFFOLD_AT = '`kelos new /tmp/kelos-scaffold` writes';

const packageJsonAdvice = (text: string, scaffold: string, where: string | undefined): string[] => {
  const want = JSON.parse(scaffold) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  let have: Record<string, unknown> = {};
  let unreadable: string | undefined;
  try {
    const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
    if (isRecord(parsed)) have = parsed;
    else unreadable = 'it is not a JSON object';
  } catch (err) {
    unreadable = reason(err);
  }
  // npm ci installs devDependencies too: kelos-ts declared there works as well.
  const declared = (name: string): boolean =>
    ['dependencies', 'devDependencies'].some((key) => {
      const deps = have[key];
      return isRecord(deps) && typeof deps[name] === 'string';
    });
  const deps = Object.entries(want.dependencies).filter(([name]) => !declared(name));
  const devDeps = Object.entries(want.devDependencies).filter(([name]) => !declared(name));
  const entries = (e: ReadonlyArray<[string, string]>): string =>
    list(e.map(([name, spec]) => `"${name}": ${JSON.stringify(spec)}`));
  const add: string[] = [];
  const run: string[] = [];
  if (deps.length > 0) {
    add.push(`to dependencies ${entries(deps)}`);
    run.push(`npm install ${deps.map(([name, spec]) => shellWord(`${name}@${spec}`)).join(' ')}`);
  }
  if (devDeps.length > 0) {
    add.push(`to devDependencies ${entries(devDeps)}`);
    run.push(`npm install -D ${devDeps.map(([name, spec]) => shellWord(`${name}@${spec}`)).join(' ')}`);
  }
  if (have['type'] !== 'module') {
    add.push(
      have['type'] === 'commonjs'
        ? // The README's alternative: an .mts file is an ES module whatever the package type.
          '"type": "module" (it says "commonjs": the apps are ES modules; or keep it and name them main.mts, apps/*/main.mts in cdk8s.yaml)'
        : have['type'] === undefined
          ? '"type": "module" (the apps are ES modules)'
          : `"type": "module" (it says ${JSON.stringify(have['type'])})`,
    );
    run.push('npm pkg set type=module');
  }
  const head = unreadable === undefined ? '' : `cannot be read as JSON (${unreadable}); `;
  if (add.length === 0) return [`${head}nothing to add`];
  return [`${head}add ${add.join('; ')}. ${where === undefined ? 'Run' : `In ${where}, run`}:`, ...run];
};

/** Whether a compiler option's value is the one the scaffold sets (enum values ignore case, as tsc does). */
const sameOption = (have: unknown, want: unknown): boolean => {
  const same = (h: unknown, w: unknown): boolean =>
    typeof w === 'string' ? typeof h === 'string' && h.toLowerCase() === w.toLowerCase() : h === w;
  // A list (lib, types) may hold more than the scaffold's.
  return Array.isArray(want)
    ? Array.isArray(have) && want.every((w) => have.some((h) => same(h, w)))
    : same(have, want);
};

/** Whether an `include` pattern takes in every file under `dir`. */
const covers = (pattern: unknown, dir: string): boolean => {
  if (typeof pattern !== 'string') return false;
  const p = pattern.replace(/^\.\//, '');
  return p === '.' || p === dir || p.startsWith(`${dir}/`) || p.startsWith('*');
};

const tsconfigAdvice = (text: string, scaffold: string): string[] => {
  const want = parseJsonc(scaffold) as { compilerOptions: Record<string, unknown>; include: string[] };
  let have: Record<string, unknown> = {};
  let unreadable: string | undefined;
  try {
    const parsed = parseJsonc(text);
    if (isRecord(parsed)) have = parsed;
    else unreadable = 'it is not a JSON object';
  } catch (err) {
    unreadable = reason(err);
  }
  const options = isRecord(have['compilerOptions']) ? have['compilerOptions'] : {};
  const lines = Object.entries(want.compilerOptions)
    .filter(([name, value]) => !sameOption(options[name], value))
    .map(
      ([name, value]) =>
        `"${name}": ${JSON.stringify(value)}${unreadable === undefined ? ` (${name in options ? `it has ${JSON.stringify(options[name])}` : 'not set'})` : ''}`,
    );
  // Without include, tsc reads every .ts file under the directory, unless files is set.
  const include = have['include'];
  const uncovered = want.include.filter((dir) =>
    Array.isArray(include) ? !include.some((p) => covers(p, dir)) : have['files'] !== undefined,
  );
  if (unreadable === undefined && uncovered.length > 0)
    lines.push(
      `and in "include": ${list(uncovered.map((d) => `"${d}"`))} (tsc type-checks only what include reaches)`,
    );
  const extended =
    typeof have['extends'] === 'string' || Array.isArray(have['extends'])
      ? [`(it extends ${JSON.stringify(have['extends'])}, which is not read here: skip what is set there)`]
      : [];
  // The one failure a user would not connect with tsconfig.json: `Cannot find module 'kelos-ts'`.
  const why = ['module', 'moduleResolution'].some(
    (name) => !sameOption(options[name], want.compilerOptions[name]),
  )
    ? ' (tsc cannot resolve kelos-ts without module and moduleResolution NodeNext)'
    : '';
  if (unreadable !== undefined)
    return [
      `cannot be read as JSON with comments (${unreadable}); it needs these compilerOptions${why}:`,
      ...lines,
    ];
  if (lines.length === 0) return ['nothing to add'];
  return [`set in compilerOptions${why}:`, ...lines, ...extended];
};

const cdk8sAdvice = (text: string): string[] => {
  const section = CDK8S_KELOS_SECTION.trimEnd().split('\n');
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return [
      `cannot be read as YAML (${reason(err)}); it needs the kelos: section kelos new writes:`,
      ...section,
    ];
  }
  if (isRecord(doc) && 'kelos' in doc) return ['nothing to add (it has a kelos: section)'];
  return [
    'add the kelos: section kelos new writes (kelos synth reads the apps and bundles there):',
    ...section,
  ];
};

/** A .gitignore line as a pattern, ignoring what does not change which root paths it matches here. */
const ignorePattern = (line: string): string => line.trim().replace(/^\//, '').replace(/\/$/, '');

const gitignoreAdvice = (text: string, scaffold: string): string[] => {
  const have = new Set(text.split(/\r?\n/).map(ignorePattern));
  const missing = scaffold
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#') && !have.has(ignorePattern(line)));
  return missing.length === 0 ? ['nothing to add'] : ['add these lines:', ...missing];
};

/** The hook ids of a pre-commit config, in order. */
const hookIds = (doc: unknown): string[] =>
  isRecord(doc) && Array.isArray(doc['repos'])
    ? doc['repos'].flatMap((repo: unknown) =>
        isRecord(repo) && Array.isArray(repo['hooks'])
          ? repo['hooks'].flatMap((hook: unknown) =>
              isRecord(hook) && typeof hook['id'] === 'string' ? [hook['id']] : [],
            )
          : [],
      )
    : [];

const preCommitAdvice = (text: string, scaffold: string): string[] => {
  const want = hookIds(parseYaml(scaffold));
  let have: string[];
  try {
    have = hookIds(parseYaml(text));
  } catch (err) {
    return [
      `cannot be read as YAML (${reason(err)}); it needs the hooks ${list(want)} (repo: local), as in the one ${SCAFFOLD_AT}`,
    ];
  }
  const missing = want.filter((id) => !have.includes(id));
  return missing.length === 0
    ? ['nothing to add (it has the kelos hooks)']
    : [`add the hooks ${list(missing)} (repo: local), as in the one ${SCAFFOLD_AT}`];
};

/**
 * What to add to a kept scaffold file: the first line follows the file's name, each other line
 * is a command or a line of text to add, printed below it. Empty for a file the project owns
 * once written (an app, a bundle, the policy, the README): nothing in it is needed by Kelos.
 *
 * @param path The file's path in the project, as `scaffoldFiles` names it.
 * @param text The kept file's content.
 * @param scaffold The scaffold's version of the file.
 * @param where The project's directory as the user named it, when commands run elsewhere.
 */
export const keptAdvice = (path: string, text: string, scaffold: string, where?: string): string[] => {
  switch (path) {
    case 'package.json':
      return packageJsonAdvice(text, scaffold, where);
    case 'tsconfig.json':
      return tsconfigAdvice(text, scaffold);
    case 'cdk8s.yaml':
      return cdk8sAdvice(text);
    case '.gitignore':
      return gitignoreAdvice(text, scaffold);
    case '.pre-commit-config.yaml':
      return preCommitAdvice(text, scaffold);
    case '.github/workflows/kelos.yml':
      return [`compare it with the one ${SCAFFOLD_AT} (synth --check, manifests/, the SARIF upload)`];
    default:
      return [];
  }
};
