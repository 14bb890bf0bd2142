/**
 * The Argo CD objects `kelos synth` renders into `dist/argocd/` for this repository's
 * layout. The repository URL is a placeholder: a fleet repository writes its own app with
 * `new KelosArgoCd(scope, 'argocd', { repoURL })` (see the README's Argo CD section).
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain } from '../app.ts';
import { KelosArgoCd } from './index.ts';

/** Placeholder repository of the rendered example. */
export const EXAMPLE_REPO_URL = 'https://github.com/your-org/your-fleet.git';

/** Builds the Argo CD objects. */
export default function argocd(scope: Construct): void {
  new KelosArgoCd(scope, 'kelos', { repoURL: EXAMPLE_REPO_URL });
}

synthWhenMain(import.meta, argocd);
