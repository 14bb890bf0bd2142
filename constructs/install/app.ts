/**
 * The install `kelos synth` renders into `dist/install/`: {@link KelosInstall} with its
 * defaults (cluster-wide, two replicas, image `ghcr.io/kelos-ts/kelos-operator`). A
 * platform team that wants other settings writes its own app with `new KelosInstall(...)`.
 *
 * @packageDocumentation
 */
import type { Construct } from 'constructs';
import { synthWhenMain } from '../app.ts';
import { KelosInstall } from './index.ts';

/** Builds the default install. */
export default function install(scope: Construct): void {
  new KelosInstall(scope, 'kelos');
}

synthWhenMain(import.meta, install);
