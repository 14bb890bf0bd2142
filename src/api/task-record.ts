/**
 * TaskRecord: the immutable usage record of one finished Task. Budgets add these up.
 *
 * The .d.ts of this file writes TypeBox's symbol keys ({@link Kind}, {@link Hint},
 * {@link OptionalKind}, {@link ReadonlyKind}); declaration emit can only name the ones imported here.
 *
 * @packageDocumentation
 */
// biome-ignore lint/correctness/noUnusedImports: declaration emit names TypeBox's symbol keys through these
import type { Hint, Kind, OptionalKind, ReadonlyKind, Static } from '@sinclair/typebox';
import { TaskUsageSchema } from './common.ts';
import { AGENT_TYPES, CATEGORY } from './group.ts';
import { int32, type KindDefinition, obj, opt, str, strEnum, time } from './schema.ts';

/** TaskRecords live 30 days unless said otherwise. */
export const DEFAULT_TASK_RECORD_TTL_SECONDS = 30 * 24 * 60 * 60;

export const TaskRecordSpecSchema = obj(
  {
    taskRef: obj(
      {
        name: str('name of the Task.', { minLength: 1 }),
        uid: opt(str('uid of the Task; the record is named after it.')),
      },
      'taskRef identifies the finished Task. The record outlives it.',
    ),
    type: opt(strEnum(AGENT_TYPES, 'type of agent that ran.')),
    model: opt(str('model the agent used.')),
    phase: strEnum(['Succeeded', 'Failed'] as const, 'phase the Task finished in.'),
    startTime: opt(time('startTime is when the agent started.')),
    completionTime: time(
      'completionTime is when the Task finished; it decides which budget period the usage counts in.',
    ),
    usage: opt({ ...TaskUsageSchema, description: 'usage reported by the agent.' }),
    ttlSecondsAfterCompletion: opt(
      int32(
        'ttlSecondsAfterCompletion deletes the record this long after completionTime. The operator sets 30 days.',
        {
          minimum: 0,
        },
      ),
    ),
  },
  'TaskRecordSpec is the usage of one finished Task. It is immutable.',
  { 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'TaskRecord spec is immutable' }] },
);
export type TaskRecordSpec = Static<typeof TaskRecordSpecSchema>;

/** The TaskRecord kind. */
export const TASK_RECORD: KindDefinition<typeof TaskRecordSpecSchema> = {
  kind: 'TaskRecord',
  listKind: 'TaskRecordList',
  plural: 'taskrecords',
  singular: 'taskrecord',
  shortNames: ['tr'],
  categories: [CATEGORY],
  spec: TaskRecordSpecSchema,
  specRequired: true,
  description: 'TaskRecord is the immutable usage record of one finished Task.',
  printerColumns: [
    { name: 'Task', type: 'string', jsonPath: '.spec.taskRef.name' },
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Phase', type: 'string', jsonPath: '.spec.phase' },
    { name: 'Cost', type: 'string', jsonPath: '.spec.usage.costUSD', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
};
