/**
 * The shapes of a field's cast and of a verify rule, on their own so that the comparison rules
 * can be checked without loading the plan schema (which pulls in the YAML loader): the consumer
 * library reads rule sets with these. The plan schema uses the same ones.
 */
import { z } from 'zod';

export const castSchema = z.enum(['string', 'integer', 'number', 'decimal', 'boolean', 'timestamp', 'json']);

export const fieldRuleSchema = z.strictObject({
  ignore: z.boolean().optional(),
  tolerance: z.number().min(0).optional(),
  timestampPrecision: z.enum(['ms', 's', 'm']).optional(),
  timeZone: z.string().optional(),
  caseInsensitive: z.boolean().optional(),
  trim: z.boolean().optional(),
  json: z.boolean().optional(),
  /** Compared but never printed, logged or stored in reports (like `sensitive` on a map entry). */
  sensitive: z.boolean().optional(),
});
