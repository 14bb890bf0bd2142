/**
 * Where the objects a cdk8s `Include` read from YAML files of the project are in those files,
 * so a finding on one points at the line the user edits rather than at the `dist/` file it
 * renders to. The runner says which file each such object came from and on which line its
 * document starts (include-origin.ts); this reads each file once with the reader
 * `kelos validate FILE.yaml` uses ({@link parseManifests}), takes the document that starts on
 * that line, and answers with its locator: the key of an object member, the item of an array
 * element, the nearest existing parent of a node the document lacks.
 *
 * A finding's pointer is into the rendered object, which is the included one as cdk8s renders
 * it: keys sorted, nulls dropped, the chart's labels and namespace added. What cdk8s added is
 * not in the file, so a finding on it points at its nearest parent there. A document the reader
 * leaves out (a `kind: List`, an object without a name) is located by its first line only.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../validate/diagnostic.ts';
import { type LoadedDocument, parseManifests, type SourcePosition } from '../validate/load.ts';
import type { SynthObject } from './render.ts';

/** Where one included object is in its YAML file. */
export interface IncludedSource {
  /** The file, relative to the project root. */
  readonly file: string;
  /** First line of the object's document, when known. */
  readonly line?: number;
  /**
   * Position of the node at a JSON pointer into the object; absent when the document could not
   * be read back from the file.
   */
  readonly locate?: (pointer: string) => SourcePosition | undefined;
  /**
   * The file has a YAML syntax error: the object is what cdk8s's lenient reading made of it, not
   * what the file means, so no finding on it is reported and no policy runs on it.
   */
  readonly broken?: true;
}

/** The included objects' sources, by the output file each object renders to. */
export type IncludedSources = ReadonlyMap<string, IncludedSource>;

/**
 * Reads the files `Include` constructs read, each once, and locates every included object in
 * its file. A file that cannot be read any more still names the object's origin, by line when
 * the runner knew it.
 *
 * cdk8s reads a file more leniently than `kelos validate` does (a quote that never closes
 * swallows the lines after it into one value), so the YAML syntax errors `kelos validate` would
 * report on the file are returned too: the objects cdk8s made of it are not what the file
 * means to say.
 */
export const readIncludedSources = async (
  root: string,
  objects: readonly SynthObject[],
): Promise<{
  sources: IncludedSources;
  diagnostics: Diagnostic[];
  /** Files with a YAML syntax error, with their documents as `kelos validate FILE` reads them. */
  broken: ReadonlyMap<string, readonly LoadedDocument[]>;
}> => {
  const sources = new Map<string, IncludedSource>();
  const diagnostics: Diagnostic[] = [];
  const broken = new Map<string, readonly LoadedDocument[]>();
  const files = new Map<string, Promise<readonly LoadedDocument[]>>();
  const documentsOf = (file: string): Promise<readonly LoadedDocument[]> => {
    let documents = files.get(file);
    if (!documents) {
      documents = readFile(join(root, file), 'utf8').then(
        (text) => {
          const parsed = parseManifests(text, file);
          const syntax = parsed.diagnostics.filter((d) => d.code.startsWith('yaml/'));
          diagnostics.push(...syntax);
          if (syntax.some((d) => d.severity === 'error')) broken.set(file, parsed.documents);
          return parsed.documents;
        },
        () => [],
      );
      files.set(file, documents);
    }
    return documents;
  };
  for (const o of objects) {
    if (!o.included) continue;
    const { file, line } = o.included;
    const documents = await documentsOf(file);
    const document =
      line === undefined
        ? undefined
        : documents.find((d) => d.line === line && d.object['kind'] === o.object['kind']);
    sources.set(o.file, {
      file,
      ...(line !== undefined && { line }),
      ...(document && { locate: (pointer: string) => document.locate(pointer) }),
      ...(broken.has(file) && { broken: true }),
    });
  }
  return { sources, diagnostics, broken };
};

/**
 * The objects policies run on: all but those cdk8s made of an included file with a YAML syntax
 * error, whose findings would be on objects the file does not declare (a name swallowing the
 * documents after an unclosed quote).
 */
export const withoutBrokenIncludes = <T extends { readonly file: string }>(
  objects: readonly T[],
  included: IncludedSources,
): T[] => objects.filter((o) => !included.get(o.file)?.broken);
