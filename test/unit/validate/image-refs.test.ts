import { describe, expect, test } from 'vitest';
import { imageReferenceProblem, isImagePrefix } from '../../../src/kube/image-reference.ts';
import { validateDocuments } from '../../../src/validate/index.ts';
import { parseManifests } from '../../../src/validate/load.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('image references', () => {
  test('takes what the kubelet parses: a registry host with a port, path components, a tag and a digest', () => {
    for (const ok of [
      'busybox',
      'postgres:16',
      'ghcr.io/kelos-ts/agent-claude-code:v0.2.0',
      'localhost:5000/team/agent',
      'Registry.Example.com:8443/a/b_c/d__e/f-g:1.0_rc-1',
      `ghcr.io/acme/agent@${DIGEST}`,
      `ghcr.io/acme/agent:v1@${DIGEST}`,
    ])
      expect(imageReferenceProblem(ok), ok).toBeUndefined();
  });

  test('refuses, saying why, what the kubelet refuses as InvalidImageName', () => {
    expect(imageReferenceProblem('acme/Agent:v1')).toBe(
      'its repository is not one (a registry host, then path components in lowercase: letters, digits and single separators . _ __ -)',
    );
    expect(imageReferenceProblem('postgres:16 ')).toBe('it has white space before or after it');
    expect(imageReferenceProblem('postgres:-16')).toBe(
      'its tag is not one (letters, digits, "_", "." and "-", not starting with "." or "-", at most 128)',
    );
    expect(imageReferenceProblem('ghcr.io/acme/agent@sha256:abc')).toBe(
      'what follows "@" is not a digest (algorithm:hex, e.g. sha256: and 64 hex digits)',
    );
    for (const bad of ['::bad::', 'ghcr.io/', 'a//b', 'a/b.', ':v1'])
      expect(imageReferenceProblem(bad), bad).toBeDefined();
  });

  test('a prefix is a registry host or a first path component, then path components', () => {
    expect(isImagePrefix('ghcr.io/kelos-ts')).toBe(true);
    expect(isImagePrefix('localhost:5000/team/')).toBe(true);
    expect(isImagePrefix('kelos')).toBe(true);
    expect(isImagePrefix('ghcr.io/Acme')).toBe(false);
    expect(isImagePrefix('Acme/kelos')).toBe(false);
  });

  test('kelos validate reports a Task agent image and an extra container image the kubelet refuses, at the field', () => {
    const text = `apiVersion: kelos.dev/v1alpha2
kind: Task
metadata: {name: t, namespace: team}
spec:
  prompt: p
  worker:
    type: claude-code
    credentials: {type: none}
    image: acme/Agent:v1
    podOverrides:
      extraContainers:
        - {name: db, image: "postgres:16 "}
        - {name: ok, image: "postgres:16"}
---
apiVersion: kelos.dev/v1alpha2
kind: TaskSpawner
metadata: {name: s, namespace: team}
spec:
  when: {cron: {schedule: "0 3 * * *"}}
  taskTemplate:
    type: codex
    credentials: {type: none}
    image: ghcr.io/acme/codex:v1
    promptTemplate: p
`;
    const diagnostics = validateDocuments(parseManifests(text, 'f.yaml').documents).filter(
      (d) => d.code === 'image/reference',
    );
    expect(
      diagnostics.map((d) => [d.severity, d.path, d.source?.line, d.message.split(':')[0]]),
    ).toStrictEqual([
      ['error', '/spec/worker/image', 9, '"acme/Agent'],
      ['error', '/spec/worker/podOverrides/extraContainers/0/image', 12, '"postgres'],
    ]);
    expect(diagnostics[0]?.message).toBe(
      '"acme/Agent:v1" is not an image reference: its repository is not one (a registry host, then path components in lowercase: letters, digits and single separators . _ __ -); the API server takes it in a Task, and the agent\'s Job is refused or its Pod cannot pull it (InvalidImageName), so the Task fails',
    );
  });
});
