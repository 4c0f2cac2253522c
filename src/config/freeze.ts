/** Deep `Object.freeze`: the validated config is shared by every part of the bot and never changes. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    // Descriptors, not values: a deferred secret is a getter that throws when read (secret-sections.ts).
    for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(value))) {
      if ('value' in descriptor) deepFreeze(descriptor.value);
    }
  }
  return value;
}
