import { sql, type Kysely } from 'kysely';

/*
 * API keys and users (hashes only, never a key or a password), and who may see a job: jobs gain
 * `created_by` ({kind, name}) and `permissions` ([{role} | {user}]). Jobs stored before this
 * migration have neither, so every caller still sees them.
 */

const ROLES = sql`('admin', 'user')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text', (col) => col.notNull().unique())
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ${ROLES}`))
    .addColumn('key_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('username', 'text', (col) => col.primaryKey())
    .addColumn('name', 'text')
    .addColumn('role', 'text', (col) => col.notNull().check(sql`role in ${ROLES}`))
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull())
    .execute();

  await sql`alter table jobs add column created_by jsonb, add column permissions jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table jobs drop column permissions, drop column created_by`.execute(db);
  await db.schema.dropTable('users').execute();
  await db.schema.dropTable('api_keys').execute();
}
