/**
 * Which OAUTHBEARER validator a SASL listener uses, from Kafka's settings (each read with the
 * listener.name.<l>.oauthbearer. prefix first, then listener.name.<l>., then the broker's):
 * - the JAAS config listener.name.<l>.oauthbearer.sasl.jaas.config must name Kafka's
 *   OAuthBearerLoginModule (Kafka refuses to start without one); its unsecuredValidator* options
 *   configure the unsecured validator;
 * - sasl.server.callback.handler.class = Kafka's OAuthBearerValidatorCallbackHandler (either
 *   package) selects the JWKS validator (KIP-768), which needs sasl.oauthbearer.jwks.endpoint.url;
 *   unset (Kafka's default) or Kafka's OAuthBearerUnsecuredValidatorCallbackHandler selects the
 *   unsecured JWS validator; any other class is refused.
 * Samsa deviation: with no handler class but a JWKS endpoint URL set, the JWKS validator is used
 * (Kafka would ignore the URL and accept unsigned tokens; Samsa never silently downgrades).
 */
import { ConfigError } from '../../common/errors.js';
import { systemScheduler, type Scheduler } from '../../common/scheduler.js';
import type { Logger } from '../../common/logger.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import { parseJaasConfig } from '../jaas.js';
import { JwksValidator, jwksKeys } from './jwks-validator.js';
import type { TokenValidator } from './token-validator.js';
import { UnsecuredJwsValidator } from './unsecured-validator.js';

export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';
export const JWKS_VALIDATOR_CLASSES: readonly string[] = [
  'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
  'org.apache.kafka.common.security.oauthbearer.secured.OAuthBearerValidatorCallbackHandler',
];
export const UNSECURED_VALIDATOR_CLASS = 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler';

const MECHANISM = 'OAUTHBEARER';

export function oauthValidator(config: BrokerConfig, listener: string, deps: { scheduler?: Scheduler; logger?: Logger }): TokenValidator {
  const clock = deps.scheduler ?? systemScheduler;
  const prefix = `listener.name.${listener.toLowerCase()}.oauthbearer.`;
  const jaasKey = `${prefix}sasl.jaas.config`;
  const jaas = config.jaasConfig(listener, MECHANISM);
  if (jaas === null) throw new ConfigError(jaasKey, `listener ${listener} enables OAUTHBEARER and needs its JAAS config: set ${jaasKey}=${OAUTHBEARER_LOGIN_MODULE} required ;`);
  const entry = parseJaasConfig(jaasKey, jaas).find((e) => e.loginModule === OAUTHBEARER_LOGIN_MODULE);
  if (entry === undefined) throw new ConfigError(jaasKey, `Invalid value for configuration ${jaasKey}: OAUTHBEARER needs ${OAUTHBEARER_LOGIN_MODULE}`);
  const setting = (key: string): string | null => {
    const v = config.forMechanism(listener, MECHANISM, key);
    return v === null ? null : Array.isArray(v) ? v.join(',') : String(v);
  };
  const handler = setting('sasl.server.callback.handler.class')?.trim() ?? null;
  const url = setting('sasl.oauthbearer.jwks.endpoint.url');
  const handlerKey = `${prefix}sasl.server.callback.handler.class`;
  if (handler !== null && handler !== '' && !JWKS_VALIDATOR_CLASSES.includes(handler) && handler !== UNSECURED_VALIDATOR_CLASS) {
    throw new ConfigError(handlerKey, `Invalid value ${handler} for configuration ${handlerKey}: Samsa implements Kafka's ${JWKS_VALIDATOR_CLASSES[0]} (JWKS, KIP-768) and ${UNSECURED_VALIDATOR_CLASS}`);
  }
  const jwks = (handler !== null && JWKS_VALIDATOR_CLASSES.includes(handler)) || ((handler === null || handler === '') && url !== null);
  if (jwks) {
    if (url === null) throw new ConfigError('sasl.oauthbearer.jwks.endpoint.url', `listener ${listener}: ${handler} needs sasl.oauthbearer.jwks.endpoint.url (an http(s) or file: URL of the JWKS)`);
    const refreshMs = Number(config.forMechanism(listener, MECHANISM, 'sasl.oauthbearer.jwks.endpoint.refresh.ms'));
    const audience = config.forMechanism(listener, MECHANISM, 'sasl.oauthbearer.expected.audience');
    return new JwksValidator(
      {
        url,
        refreshMs,
        expectedAudience: Array.isArray(audience) ? audience : audience === null ? [] : [String(audience)],
        expectedIssuer: setting('sasl.oauthbearer.expected.issuer'),
        subClaimName: setting('sasl.oauthbearer.sub.claim.name') ?? 'sub',
        scopeClaimName: setting('sasl.oauthbearer.scope.claim.name') ?? 'scope',
        clockSkewSeconds: Number(config.forMechanism(listener, MECHANISM, 'sasl.oauthbearer.clock.skew.seconds')),
      },
      jwksKeys(url, refreshMs),
      clock,
    );
  }
  if (url !== null) deps.logger?.warn(`listener ${listener}: ${handlerKey} is ${UNSECURED_VALIDATOR_CLASS}, so sasl.oauthbearer.jwks.endpoint.url is not used and unsigned tokens are accepted`);
  const option = (name: string): string | null => {
    const v = entry.options.get(name);
    return v === undefined || v.trim() === '' ? null : v.trim();
  };
  const skewText = option('unsecuredValidatorAllowableClockSkewMs');
  const skew = skewText === null ? 0 : Number(skewText);
  if (!Number.isInteger(skew) || skew < 0) throw new ConfigError(jaasKey, `Invalid value for configuration ${jaasKey}: unsecuredValidatorAllowableClockSkewMs must be a non-negative integer, got ${skewText}`);
  return new UnsecuredJwsValidator(
    {
      principalClaimName: option('unsecuredValidatorPrincipalClaimName') ?? 'sub',
      scopeClaimName: option('unsecuredValidatorScopeClaimName') ?? 'scope',
      requiredScope: (option('unsecuredValidatorRequiredScope') ?? '').split(' ').filter((s) => s !== ''),
      allowableClockSkewMs: skew,
    },
    clock,
  );
}
