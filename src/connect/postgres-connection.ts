/**
 * The connection settings the PostgreSQL sink and source connectors share (as the JDBC
 * connectors do): `connection.url`, `connection.user`, `connection.password`.
 *
 * Kafka/Confluent rules kept: connection.url is required (a connector without it fails
 * validation with the missing-configuration message) and is a JDBC URL,
 * jdbc:postgresql://host:port/database; the user and password may also be given in the URL.
 * Samsa's deviation: a libpq URL (postgres://, postgresql://) is accepted as well.
 */
import type pg from 'pg';
import { ConfigError, type ConfigDef, type TaskConfig } from './api.js';

/** The connection.* definitions of a JDBC connector's config. */
export const CONNECTION_CONFIG: readonly ConfigDef[] = [
  { name: 'connection.url', type: 'STRING', required: true, documentation: 'JDBC connection URL (jdbc:postgresql://host:port/db).' },
  { name: 'connection.user', type: 'STRING', required: false, documentation: 'JDBC connection user.' },
  { name: 'connection.password', type: 'PASSWORD', required: false, documentation: 'JDBC connection password.' },
];

/** jdbc:postgresql://host:port/db?user=..  → postgres://host:port/db?user=.. */
export function pgConnectionString(url: string): string {
  if (url.startsWith('jdbc:postgresql://')) return `postgres://${url.slice('jdbc:postgresql://'.length)}`;
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return url;
  throw new ConfigError(`Invalid value ${url} for configuration connection.url: expected jdbc:postgresql://host:port/database`);
}

/** connection.url, which must be set. */
export function requireConnectionUrl(config: Readonly<Record<string, string>>): string {
  const url = config['connection.url'];
  if (!url) throw new ConfigError('Missing required configuration "connection.url" which has no default value.');
  return url;
}

/** The pg client settings of a task's connection.url, connection.user and connection.password. */
export function pgClientSettings(url: string, config: TaskConfig): pg.ClientConfig {
  return { connectionString: pgConnectionString(url), user: config['connection.user'] || undefined, password: config['connection.password'] || undefined };
}
