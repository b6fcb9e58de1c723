export { InMemoryDatastore, type InMemoryDatastoreOptions } from './inmemory-datastore.js';
export { PostgresDatastore, type PostgresDatastoreOptions } from './postgres/postgres-datastore.js';
export { migrate, type MigrateOptions } from './postgres/migrations/migrate.js';
export { TracingDatastore, type DatabaseSystem } from './tracing-datastore.js';
