// Images fetched and decoded ahead of need, by id (the annotate and verification pages' preloading).
//
//   ImageCache   new ImageCache(createImage = () => new Image())
//                load(id, url) -> Promise<decoded image> (once per id; a failure is forgotten)
//                keepOnly(ids) drops the others; clear(); decodedIds() -> [id, …] sorted

export class ImageCache {
  constructor(createImage = () => new Image()) {
    this.createImage = createImage;
    this.images = new Map(); // id -> Promise<image>
    this.decoded = new Set();
  }

  load(id, url) {
    let promise = this.images.get(id);
    if (!promise) {
      const img = this.createImage();
      img.decoding = "async";
      img.src = url;
      promise = img.decode().then(
        () => {
          if (this.images.get(id) === promise) this.decoded.add(id);
          return img;
        },
        (error) => {
          if (this.images.get(id) === promise) this.images.delete(id);
          throw error;
        },
      );
      this.images.set(id, promise);
    }
    return promise;
  }

  keepOnly(ids) {
    for (const id of [...this.images.keys()]) {
      if (!ids.has(id)) {
        this.images.delete(id);
        this.decoded.delete(id);
      }
    }
  }

  clear() {
    this.images.clear();
    this.decoded.clear();
  }

  decodedIds() {
    return [...this.decoded].sort((a, b) => a - b);
  }
}
