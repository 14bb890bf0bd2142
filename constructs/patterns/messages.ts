/**
 * Messages the patterns throw with, for invariants the patterns add on top of the API.
 *
 * @packageDocumentation
 */

/** Pattern message catalog. */
export const PatternMessages = {
  maxConcurrency: (got: number) =>
    `maxConcurrency must be at least 1 (got ${got}); a pattern never runs an unbounded number of agents`,
  botLogin: 'botLogin must name the GitHub login the agent acts as, so its own items are excluded',
  openPolicy:
    'commentPolicy must restrict who can trigger work (allowedUsers, allowedTeams or minimumPermission); otherwise anyone can start an agent',
  noMaintainers: 'maintainers must name at least one GitHub login whose commands count',
  noSteps: 'a Pipeline needs at least one step',
  duplicateStep: (name: string) => `step name ${name} is used more than once`,
  badStep: (index: number, step: unknown) =>
    `steps[${index}] must be an object with a name and a prompt; got ${step === null ? 'null' : Array.isArray(step) ? 'a list' : typeof step === 'object' ? 'an object without a string name' : `a ${typeof step}`}`,
  emptyBranch: 'branch must not be empty: the steps of a Pipeline share one branch',
  notAnObject: (pattern: string, got: string) => `${pattern} props must be an object; got ${got}`,
  required: (pattern: string, prop: string, what: string) => `${pattern} requires ${prop} (${what})`,
  requiredType: (pattern: string, prop: string, what: string, got: string) =>
    `${pattern} requires ${prop} to be ${what}; got ${got}`,
  propType: (pattern: string, prop: string, what: string, got: string) =>
    `${pattern} prop ${prop} must be ${what}; got ${got}`,
} as const;
