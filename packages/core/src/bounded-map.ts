/** Bounded caches kept in a `Map`: full, the oldest entry goes first. */

/**
 * Sets `key` in `map`; when that would take `map` past `max` entries, the oldest one (first inserted) is dropped
 * first. Replacing an existing key drops nothing.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value!);
  map.set(key, value);
}
