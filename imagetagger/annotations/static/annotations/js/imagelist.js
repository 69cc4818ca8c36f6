// The set's image list as the annotate page sees it: paged from the API, any position reachable
// without loading the pages before it, so that 100,000 images stay fast (no DOM).
//
// Exports:
//   ImageList     new ImageList({fetchJson, imagesUrl, positionUrl, pageSize})
//                 setFilter(typeId|null); locate(imageId) -> {index, count, present};
//                 ensure(index) -> image|null (loads its page); get(index) -> image|undefined
//   preloadWindow(index, present, count, before = 2, after = 5) -> [index, …] to preload, nearest
//                 first: the next ``after`` then the previous ``before``, round the ends of the list
//
// An image is {id, name, width, height, url} as /api/v1/imagesets/<id>/images/ lists it.

export const PAGE_SIZE = 100;

/** List positions to preload around the current one: the next ``after``, then the previous ``before``. */
export function preloadWindow(index, present, count, before = 2, after = 5) {
  // Next and previous go round the list (after the last image comes the first), and so does this.
  const result = [];
  const add = (i) => {
    const wrapped = ((i % count) + count) % count;
    if (!(present && wrapped === index) && !result.includes(wrapped)) result.push(wrapped);
  };
  if (count <= 0) return result;
  const nextStart = present ? index + 1 : index;
  for (let i = nextStart; i < nextStart + Math.min(after, count); i += 1) add(i);
  for (let i = index - 1; i >= index - Math.min(before, count); i -= 1) add(i);
  return result;
}

export class ImageList {
  constructor({ fetchJson, imagesUrl, positionUrl, pageSize = PAGE_SIZE }) {
    Object.assign(this, { fetchJson, imagesUrl, positionUrl, pageSize });
    this.filter = null;
    this.count = null;
    this.pages = new Map(); // page number (0-based) -> [images] | Promise
    this.generation = 0;
  }

  setFilter(typeId) {
    this.filter = typeId || null;
    this.invalidate();
  }

  /** Forget the loaded pages (the filtered list changes as images get labels). */
  invalidate() {
    this.pages = new Map();
    this.generation += 1;
  }

  _query(params) {
    const query = new URLSearchParams(params);
    if (this.filter) query.set("missing_annotation_type", this.filter);
    return query.toString();
  }

  async locate(imageId) {
    const data = await this.fetchJson(`${this.positionUrl}?${this._query({ image: imageId })}`);
    this.count = data.count;
    return data;
  }

  get(index) {
    const page = this.pages.get(Math.floor(index / this.pageSize));
    return Array.isArray(page) ? page[index % this.pageSize] : undefined;
  }

  indexOf(imageId) {
    for (const [number, page] of this.pages) {
      if (!Array.isArray(page)) continue;
      const position = page.findIndex((image) => image.id === imageId);
      if (position >= 0) return number * this.pageSize + position;
    }
    return -1;
  }

  loadPage(number) {
    const known = this.pages.get(number);
    if (known) return Promise.resolve(known);
    const generation = this.generation;
    const url = `${this.imagesUrl}?${this._query({ page: number + 1, page_size: this.pageSize })}`;
    const promise = this.fetchJson(url).then(
      (data) => {
        const images = data.results.map(({ id, name, width, height, url: imageUrl }) => ({
          id,
          name,
          width,
          height,
          url: imageUrl,
        }));
        if (generation === this.generation) {
          this.pages.set(number, images);
          this.count = data.count;
        }
        return images;
      },
      (error) => {
        if (generation === this.generation) this.pages.delete(number);
        throw error;
      },
    );
    this.pages.set(number, promise);
    return promise;
  }

  async ensure(index) {
    if (index < 0 || (this.count !== null && index >= this.count)) return null;
    const images = await this.loadPage(Math.floor(index / this.pageSize));
    return images[index % this.pageSize] || null;
  }
}
