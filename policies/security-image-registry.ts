/**
 * security/image-registry: custom agent images and extra container images come from an allowed
 * registry.
 *
 * @packageDocumentation
 */
import type { AdmissionCheck, AdmissionValidation, Finding, ObjectRule } from '../src/policy/rule.ts';
import { arr, get, nonEmpty, ptr } from './lib/access.ts';
import { CEL_EXECUTION_ROOT, celHas, celList, celPath, celString, celWorkerField } from './lib/cel.ts';
import { executionOf } from './lib/worker.ts';

/** Whether `image` is from one of `registries` (a registry or a registry path prefix). */
export const fromRegistry = (image: string, registries: readonly string[]): boolean =>
  registries.some((r) => {
    const prefix = r.replace(/\/+$/, '');
    return image === prefix || image.startsWith(`${prefix}/`);
  });

/** Message for an image from elsewhere; the admission policy builds the same text. */
export const imageNotAllowed = (image: string, registries: readonly string[]): string =>
  `image "${image}" is not from an allowed registry (${registries.join(', ')})`;

export const imageRegistry: ObjectRule = {
  id: 'security/image-registry',
  scope: 'object',
  severity: 'error',
  kinds: ['Task', 'TaskSpawner'],
  description: 'Custom agent images and extra container images come from allowlists.imageRegistries.',
  rationale:
    'The agent image receives the model credentials and a write token for the repository; an image from an unreviewed registry can exfiltrate both.',
  hint: 'Mirror the image into an allowed registry, or add the registry to allowlists.imageRegistries.',
  check({ object, config }) {
    const registries = config.allowlists.imageRegistries;
    const e = executionOf(object);
    if (!e || registries.length === 0) return [];
    const findings: Finding[] = [];
    const image = e.field('image');
    const agentImage = nonEmpty(image?.value);
    if (image && agentImage && !fromRegistry(agentImage, registries)) {
      findings.push({ path: image.path, message: imageNotAllowed(agentImage, registries) });
    }
    for (const list of ['extraContainers', 'extraInitContainers']) {
      const containers = e.podOverride(list);
      arr(containers?.value).forEach((c, i) => {
        const name = nonEmpty(get(c, 'image'));
        if (name && !fromRegistry(name, registries)) {
          findings.push({
            path: ptr(...(containers?.segments ?? []), i, 'image'),
            message: imageNotAllowed(name, registries),
          });
        }
      });
    }
    return findings;
  },
  admission: (config) => {
    const registries = config.allowlists.imageRegistries.map((r) => r.replace(/\/+$/, ''));
    if (registries.length === 0) return [];
    const ok = (image: string) =>
      `${celList(registries)}.exists(r, ${image} == r || ${image}.startsWith(r + '/'))`;
    const message = (image: string) =>
      `'image "' + ${image} + '" is not from an allowed registry (' + ${celString(registries.join(', '))} + ')'`;
    return (['Task', 'TaskSpawner'] as const).map((kind): AdmissionCheck => {
      const root = CEL_EXECUTION_ROOT[kind]!;
      const image = celWorkerField(root, ['image']);
      const validations: AdmissionValidation[] = [
        {
          expression: `!${image.has} || ${image.value} == '' || ${ok(image.value)}`,
          message: imageNotAllowed('…', registries),
          messageExpression: message(image.value),
        },
      ];
      for (const po of [['worker', 'podOverrides'], ['podOverrides']]) {
        for (const list of ['extraContainers', 'extraInitContainers']) {
          const containers = celPath(root, [...po, list]);
          validations.push({
            expression: `!(${celHas(root, [...po, list])}) || ${containers}.all(c, !has(c.image) || ${ok('c.image')})`,
            message: imageNotAllowed('…', registries),
            messageExpression: message(`${containers}.filter(c, has(c.image) && !${ok('c.image')})[0].image`),
          });
        }
      }
      return { kind, validations };
    });
  },
};
