/**
 * The operator's Slack: one Socket Mode connection per replica (Slack spreads envelopes over
 * an app's connections, so each message reaches one replica), whose messages go through the
 * webhook receiver's delivery path ({@link WebhookReceiver.deliver}) and whose "accepted"
 * replies go back through the same connection's Web API client. Dedupe across replicas and
 * redeliveries is the deterministic Task name and the receiver's ledger.
 *
 * @packageDocumentation
 */
import type { TaskSpawner } from '../../api/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import type { Informer } from '../../kube/informer.ts';
import type { Logger } from '../../kube/log.ts';
import { Resources } from '../resources.ts';
import type { WebhookReceiver } from './receiver.ts';
import { SlackAnnotations } from './slack-event.ts';
import { slackIntake } from './slack-intake.ts';
import { SlackSocketClient, type SlackSocketOptions, type SlackTokens } from './slack-socket.ts';

/** What {@link startSlack} needs. */
export interface SlackStartOptions {
  readonly tokens: SlackTokens;
  readonly receiver: WebhookReceiver;
  /** Records a slash command's thread on its Task (the receiver's client). */
  readonly kube: KubeClient;
  readonly spawners: Informer<TaskSpawner>;
  readonly log: Logger;
  /** Overrides of the client (tests: the fake's `apiBaseUrl`). */
  readonly client?: Partial<Omit<SlackSocketOptions, 'onDelivery' | 'appToken' | 'botToken' | 'log'>>;
}

/** Creates and starts the Slack client; the caller stops it. */
export function startSlack(o: SlackStartOptions): SlackSocketClient {
  let client: SlackSocketClient | undefined;
  const onDelivery = slackIntake({
    spawners: () => o.spawners.list().filter((s) => !s.metadata.deletionTimestamp),
    deliver: (spawner, delivery, match) => o.receiver.deliver(spawner, delivery, match),
    post: async (channel, text, threadTs) => client?.postMessage(channel, text, threadTs),
    recordThread: async (namespace, task, threadTs) => {
      await o.kube.mergePatch(Resources.Task, namespace, task, {
        metadata: { annotations: { [SlackAnnotations.ThreadTs]: threadTs } },
      });
    },
    log: o.log,
  });
  client = new SlackSocketClient({ ...o.client, ...o.tokens, onDelivery, log: o.log });
  client.start();
  return client;
}
