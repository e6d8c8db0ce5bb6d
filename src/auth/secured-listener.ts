/**
 * What a listener's security protocol adds to its server: the TLS handshake (SSL, SASL_SSL) with
 * the client certificate's principal, and the SASL exchange in front of the router
 * (SASL_PLAINTEXT, SASL_SSL). A PLAINTEXT listener gets neither: its connections keep the
 * raw-socket path and go straight to the router. A TLS listener's key material may be replaced
 * at run time (auth/tls-reload.ts): the change is checked before it is stored and applied to new
 * connections once the dynamic configs change.
 */
import type { AuthenticationCounts } from '../network/authentication-counts.js';
import type { Logger } from '../common/logger.js';
import type { Scheduler } from '../common/scheduler.js';
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import { listenerSecurity } from '../config/listener-security.js';
import type { FrameDispatcher } from '../network/connection.js';
import type { ListenOptions } from '../network/server.js';
import { ReloadableTls } from './tls-reload.js';
import { SaslDispatcher } from './sasl/sasl-dispatcher.js';
import type { ScramCredentialSource } from './sasl/scram.js';

export interface SecuredListener {
  readonly dispatcher: FrameDispatcher;
  readonly options: Pick<ListenOptions, 'securityProtocol' | 'tls' | 'preAuthMaxFrameBytes'>;
}

/** Throws ConfigError when the listener's protocol lacks what it needs (see config/listener-security.ts). */
export function securedListener(config: BrokerConfig, listener: Listener, router: FrameDispatcher, deps: { scram: ScramCredentialSource; scheduler: Scheduler; logger: Logger; authentications?: AuthenticationCounts }): SecuredListener {
  const security = listenerSecurity(config, listener, { scheduler: deps.scheduler, logger: deps.logger });
  const dispatcher = security.sasl === null ? router : new SaslDispatcher(router, security.sasl, deps.scram, deps.scheduler, deps.logger, deps.authentications);
  const preAuth = security.sasl === null ? {} : { preAuthMaxFrameBytes: security.sasl.maxReceiveSize };
  if (security.tls === null) return { dispatcher, options: { securityProtocol: security.protocol, ...preAuth } };
  const tls = new ReloadableTls(config, listener.name, security.protocol, security.tls, deps.logger);
  config.addReconfigurationCheck((prospective) => void tls.check(prospective));
  config.onDynamicChange(() => tls.reload());
  return { dispatcher, options: { securityProtocol: security.protocol, ...preAuth, tls } };
}
