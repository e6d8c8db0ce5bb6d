/**
 * The values of authorizer.class.name that turn ACL enforcement on. Kafka's rule: the broker loads
 * the named class; StandardAuthorizer (KRaft) and AclAuthorizer (ZooKeeper; SimpleAclAuthorizer
 * before 2.4) share the ACL semantics Samsa implements (standard-authorizer.ts). Samsa cannot load
 * Java classes, so any other name stops start-up rather than running without the authorizer asked for.
 */
export const STANDARD_AUTHORIZER_CLASSES: readonly string[] = [
  'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'kafka.security.authorizer.AclAuthorizer',
  'kafka.security.auth.SimpleAclAuthorizer',
];

/** Whether the configured class turns the ACL authorizer on. */
export function aclAuthorizerEnabled(className: string | null): boolean {
  return className !== null && STANDARD_AUTHORIZER_CLASSES.includes(className.trim());
}
