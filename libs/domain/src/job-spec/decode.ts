import { load as loadYaml, YAMLException, type State as YamlState } from 'js-yaml';
import { TorkError, truncateText } from '../errors.js';

export type JobSpecFormat = 'json' | 'yaml';

/** Thrown from the YAML loader's listener at the first anchor: aliases to it could expand without bound. */
class YamlAnchorRefused extends Error {}

/** Refuses anchors (so aliases, which need one, can never expand a small body into a huge tree). */
function refuseAnchors(eventType: 'open' | 'close', state: YamlState): void {
  const anchor = (state as YamlState & { anchor?: string | null }).anchor;
  if (eventType === 'close' && typeof anchor === 'string') {
    throw new YamlAnchorRefused(
      `YAML anchors and aliases are not accepted (found &${truncateText(anchor, 64)} before line ${state.line + 1}): write the value out`,
    );
  }
}

/** A submitted body (JSON or YAML text) decoded, not yet validated; INVALID_INPUT when it cannot be read. */
export function decodeSpecText(text: string, format: JobSpecFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw TorkError.invalid([{ path: 'body', message: `malformed JSON: ${(error as Error).message}` }]);
    }
  }
  try {
    return loadYaml(text, { listener: refuseAnchors });
  } catch (error) {
    if (error instanceof YamlAnchorRefused)
      throw TorkError.invalid([{ path: 'body', message: error.message }]);
    const reason =
      error instanceof YAMLException ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw TorkError.invalid([{ path: 'body', message: `malformed YAML: ${reason}` }]);
  }
}
