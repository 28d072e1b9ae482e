import { useEffect, useState } from 'preact/hooks';

/** A dashboard page as named by the URL hash (`#/blocks`, `#/ip/203.0.113.9`). */
export type Route =
  | { page: 'overview' }
  | { page: 'blocks' }
  | { page: 'events' }
  | { page: 'policy' }
  | { page: 'ip'; ip: string };

/** The route of a hash; unknown hashes are the overview. */
export function parseRoute(hash: string): Route {
  const [, page, arg] = hash.replace(/^#/, '').split('/');
  if (page === 'ip' && arg) return { page: 'ip', ip: decodeURIComponent(arg) };
  if (page === 'blocks' || page === 'events' || page === 'policy') return { page };
  return { page: 'overview' };
}

/** The hash of the IP detail page of `ip`. */
export function ipHref(ip: string): string {
  return `#/ip/${encodeURIComponent(ip)}`;
}

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    // Effects run after paint: a hash changed between the first render and now fired its
    // hashchange before anyone listened (seen in CI: a jump made right after sign-in left the
    // overview on screen for good). Read it once more now that the listener is in place.
    update();
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
