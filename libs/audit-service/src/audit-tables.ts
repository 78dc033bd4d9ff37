const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** The trail's tables, qualified by the audit service's own schema (ready to splice into SQL). */
export interface AuditTables {
  /** The schema's name, unquoted. */
  schemaName: string;
  /** The schema, quoted. */
  schema: string;
  records: string;
  checkpoints: string;
}

/** Qualified table names in `schema`; refuses anything but a plain lower-case identifier. */
export function auditTables(schema: string): AuditTables {
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid audit schema name: ${JSON.stringify(schema)}`);
  const q = `"${schema}"`;
  return {
    schemaName: schema,
    schema: q,
    records: `${q}.audit_records`,
    checkpoints: `${q}.audit_checkpoints`,
  };
}
