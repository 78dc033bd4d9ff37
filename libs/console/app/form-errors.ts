/**
 * Places the `errors` of a problem+json answer next to the form fields they name. A path names a
 * field when it equals the field's path or starts with it (`job.payload.seconds` -> `job.payload`);
 * the longest matching field wins. What matches no field is returned for the form-level message.
 */
export interface FieldError {
  path: string;
  message: string;
}

export function assignErrors(
  errors: readonly FieldError[],
  fields: readonly string[],
): { byField: Map<string, string[]>; unmatched: FieldError[] } {
  const byField = new Map<string, string[]>();
  const unmatched: FieldError[] = [];
  const sorted = [...fields].sort((a, b) => b.length - a.length);
  for (const error of errors) {
    const field = sorted.find((f) => error.path === f || error.path.startsWith(`${f}.`));
    if (field === undefined) unmatched.push(error);
    else byField.set(field, [...(byField.get(field) ?? []), error.message]);
  }
  return { byField, unmatched };
}
