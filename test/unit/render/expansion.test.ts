/**
 * Kubernetes rewrites `$(VAR)` and `$$` in command, args and env values. The render escapes
 * every literal it writes there, so after the kubelet's expansion the process sees exactly the
 * Task's text; the user's podOverrides.env keeps the expansion it asks for.
 */
import { describe, expect, test } from 'vitest';
import { expandK8sVars } from '../contract/pod-runner.ts';
import { makeWorkspace, renderOk, withWorker } from './fixtures.ts';

// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell-style placeholder is part of the hostile text
const HOSTILE = 'use $(HOME) and $(KELOS_REPO_DIR), keep $$ and $$$ and $1 and ${X}';

describe('render: literal values under Kubernetes $(VAR) expansion', () => {
  test('the prompt reaches the agent unchanged', () => {
    const r = renderOk({ prompt: HOSTILE });
    const vars = { HOME: '/home/agent', KELOS_REPO_DIR: '/workspace/repo' };
    expect(expandK8sVars(r.agent.args![0]!, vars)).toBe(HOSTILE);
  });

  test('the setup command reaches its process unchanged, and init scripts are escaped whole', () => {
    const r = renderOk({
      task: withWorker({ workspaceRef: { name: 'repo' } }),
      workspace: makeWorkspace({ setupCommand: ['sh', '-c', `echo "${HOSTILE}"`] }),
    });
    const setup = expandK8sVars(r.env('KELOS_SETUP_COMMAND')!.value!, { HOME: '/x' });
    expect(JSON.parse(setup)).toEqual(['sh', '-c', `echo "${HOSTILE}"`]);
    // Init containers: every `$` of a script is escaped, so the shell gets its `$(...)` back.
    for (const c of r.pod.initContainers ?? []) {
      for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
        expect(a.replaceAll('$$', '')).not.toContain('$');
      }
    }
  });

  test("the user's podOverrides.env keeps Kubernetes' expansion", () => {
    const r = renderOk({
      task: withWorker({ podOverrides: { env: [{ name: 'WHERE', value: '$(POD_NAME)' }] } }),
    });
    expect(r.env('WHERE')?.value).toBe('$(POD_NAME)');
  });
});
