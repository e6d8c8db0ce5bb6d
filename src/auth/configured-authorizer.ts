/**
 * The authorizer a broker's configuration asks for (Kafka: authorizer.class.name, super.users,
 * allow.everyone.if.no.acl.found). Empty class name: none (every request allowed, nothing checked).
 */
import type { Authorizer } from '../broker/gate/authorizer.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataImage } from '../metadata/image.js';
import { aclAuthorizerEnabled } from './authorizer-classes.js';
import { parseSuperUsers, StandardAuthorizer } from './standard-authorizer.js';

/** The ACL authorizer over the image's bindings, or undefined when none is configured. */
export function aclAuthorizerOf(config: Pick<BrokerConfig, 'get' | 'bool'>, image: () => MetadataImage): Authorizer | undefined {
  const className = config.get('authorizer.class.name');
  if (typeof className !== 'string' || !aclAuthorizerEnabled(className)) return undefined;
  const superUsers = config.get('super.users');
  return new StandardAuthorizer(image, {
    superUsers: parseSuperUsers(typeof superUsers === 'string' ? superUsers : null),
    allowEveryoneIfNoAclFound: config.bool('allow.everyone.if.no.acl.found'),
  });
}
