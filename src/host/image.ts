// Container image references and allowlist image patterns.
//
// A reference is `[registry/]repository[:tag][@digest]`. Docker's familiar
// short names are expanded so `istio/proxyv2` and `docker.io/istio/proxyv2`
// are the same image, and `nginx` is `docker.io/library/nginx`. A pattern
// without a tag or digest matches every tag and digest of the repository; with
// a tag it matches that tag (a glob); with a digest, that digest exactly.
import type { Container } from '../model/event.js';
import { compileGlob, hasWildcard } from './glob.js';

export interface ImageReference {
  repository: string; // normalised: registry/path
  tag?: string;
  digest?: string;
}

export function parseImageReference(text: string): ImageReference {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { repository: normaliseRepository(rest), tag, digest };
}

/** docker.io defaults, as `docker pull` applies them; patterns with a wildcard in the first part are left alone. */
export function normaliseRepository(repo: string): string {
  const lower = repo.toLowerCase();
  const slash = lower.indexOf('/');
  const first = slash < 0 ? lower : lower.slice(0, slash);
  if (hasWildcard(first)) return lower;
  const isRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (isRegistry) return lower;
  const path = slash < 0 ? `library/${lower}` : lower;
  return `docker.io/${path}`;
}

/** The references a container's image is known by: its name and its repo digests. */
export function containerImageReferences(container: Container | undefined): ImageReference[] {
  const image = container?.image;
  if (!image) return [];
  const out: ImageReference[] = [];
  if (image.name) out.push(parseImageReference(image.name));
  for (const d of image.repo_digests ?? []) if (d) out.push(parseImageReference(d));
  return out;
}

/** A matcher for one image pattern over a container's references. */
export function compileImagePattern(pattern: string): (refs: ImageReference[]) => boolean {
  const p = parseImageReference(pattern);
  const repo = compileGlob(p.repository);
  const tag = p.tag === undefined ? undefined : compileGlob(p.tag);
  const digest = p.digest?.toLowerCase();
  return (refs) =>
    refs.some((r) => {
      if (!repo(r.repository)) return false;
      if (digest !== undefined) return r.digest?.toLowerCase() === digest;
      if (tag !== undefined) return r.tag !== undefined && tag(r.tag);
      return true;
    });
}
