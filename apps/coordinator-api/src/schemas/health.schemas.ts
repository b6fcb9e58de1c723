import { Type, type Static } from '@sinclair/typebox';

export const HealthSchema = Type.Object(
  {
    status: Type.Unsafe<'UP' | 'DOWN'>({ type: 'string', enum: ['UP', 'DOWN'] }),
    version: Type.Optional(Type.String()),
    checks: Type.Optional(
      Type.Record(Type.String(), Type.Unsafe<'UP' | 'DOWN'>({ type: 'string', enum: ['UP', 'DOWN'] }), {
        description: 'Each dependency, UP or DOWN (why is in the log, not here).',
      }),
    ),
  },
  { $id: 'Health' },
);

export type Health = Static<typeof HealthSchema>;
