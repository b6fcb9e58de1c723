export { runMigrations, type MigratorOptions } from './migrator.js';
