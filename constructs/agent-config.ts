/**
 * L1 construct for AgentConfig: reusable instructions, plugins, skills and MCP servers.
 *
 * @packageDocumentation
 */
import { ApiObject, type ApiObjectMetadata } from 'cdk8s';
import type { Construct } from 'constructs';
import { type AgentConfigSpec, API_VERSION } from '../src/api/index.ts';
import { type IKelosObject, ImportedObject } from './reference.ts';
import { compact } from './render.ts';
import { recordSite } from './site.ts';
import { propsObject, throwIfInvalid, Violations } from './validation.ts';

/** An AgentConfig, defined in this app or imported with {@link AgentConfig.fromAgentConfigName}. */
export interface IAgentConfig extends IKelosObject {
  readonly kind: 'AgentConfig';
}

/** Props of an {@link AgentConfig}: its spec plus object metadata. */
export interface AgentConfigProps extends AgentConfigSpec {
  /**
   * Object metadata.
   *
   * @default - name generated from the construct path; namespace of the chart.
   */
  readonly metadata?: ApiObjectMetadata;
}

/**
 * Reusable agent configuration.
 *
 * @throws KelosValidationError when a stdio MCP server has no command or an http/sse one no url.
 */
export class AgentConfig extends ApiObject implements IAgentConfig {
  /**
   * Refers to an AgentConfig defined outside this app.
   *
   * @param name `metadata.name` of the AgentConfig.
   * @param namespace its namespace, when the referring objects name theirs.
   */
  static fromAgentConfigName(scope: Construct, id: string, name: string, namespace?: string): IAgentConfig {
    return new ImportedObject(scope, id, 'AgentConfig', name, namespace) as IAgentConfig;
  }

  declare readonly kind: 'AgentConfig';
  /** Namespace of the object, from its metadata or its chart. */
  readonly namespace?: string;
  /** The rendered spec. */
  readonly spec: AgentConfigSpec;

  constructor(scope: Construct, id: string, props: AgentConfigProps = {}) {
    const v = new Violations();
    const { metadata, ...rest } = propsObject(props, v);
    const spec = compact<AgentConfigSpec>(rest);
    super(scope, id, { apiVersion: API_VERSION, kind: 'AgentConfig', metadata, spec });
    recordSite(this);
    this.spec = spec;
    if (this.metadata.namespace !== undefined) this.namespace = this.metadata.namespace;
    throwIfInvalid(
      { kind: 'AgentConfig', namespace: this.namespace, name: this.name },
      { asWritten: spec },
      v,
    );
  }
}
