import { TorkError, type JobSpecFormat } from '@tork/domain';

/** The media types a job spec may be submitted as, with the format each is parsed as. */
export const JOB_SPEC_MEDIA_TYPES = {
  'application/json': 'json',
  'text/yaml': 'yaml',
  'application/x-yaml': 'yaml',
} as const satisfies Record<string, JobSpecFormat>;

export const JOB_SPEC_MEDIA_TYPE_NAMES = Object.keys(JOB_SPEC_MEDIA_TYPES);

const HINT = 'use application/json, text/yaml or application/x-yaml';

/** 415 for a body in a media type we do not read; names the media type without its parameters. */
export function unsupportedMediaType(contentType: string | undefined): TorkError {
  const mediaType = contentType?.split(';')[0]?.trim() ?? '';
  const message =
    mediaType === '' ? `missing content type: ${HINT}` : `unsupported content type "${mediaType}": ${HINT}`;
  return new TorkError('UNSUPPORTED_MEDIA_TYPE', message);
}
