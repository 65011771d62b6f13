/**
 * ListParts for s3rver, which answers it with 405: a route added inside the s3rver child process, behind s3rver's own
 * signature check, that reads the parts s3rver keeps on disk (`<bucket>/uploads/<uploadId>/<partNumber>` with a
 * `.md5` beside each, and a `key` file) and answers with S3's documented ListPartsResult: parts in ascending number
 * after `part-number-marker`, `max-parts` per page (default 1000), `NoSuchUpload` for an unknown upload or another key.
 * It is CommonJS source, run in the child after s3rver is loaded (`router` and `S3Error` are s3rver's modules).
 */
export const LIST_PARTS_SOURCE = `
function addListParts(router, S3Error, fs, path) {
  const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  router.get('/:bucket/*key', async (ctx, next) => {
    if (ctx.query.uploadId === undefined) return next();
    const uploadId = String(ctx.query.uploadId);
    const directory = path.join(ctx.store.getResourcePath(ctx.params.bucket, undefined, 'uploads'), uploadId);
    let key;
    try {
      if (!/^[0-9a-f]+$/.test(uploadId)) throw new Error('not an s3rver upload id');
      key = await fs.promises.readFile(path.join(directory, 'key'), 'utf8');
    } catch {
      key = undefined;
    }
    if (key === undefined || key !== ctx.params.key) throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
    const maxParts = ctx.query['max-parts'] === undefined ? 1000 : Math.min(1000, Number(ctx.query['max-parts']));
    const marker = Number(ctx.query['part-number-marker'] || 0);
    const numbers = (await fs.promises.readdir(directory)).filter((name) => /^\\d+$/.test(name)).map(Number).filter((number) => number > marker).sort((a, b) => a - b);
    const page = numbers.slice(0, maxParts);
    const parts = await Promise.all(page.map(async (number) => {
      const file = path.join(directory, String(number));
      const [stat, md5] = await Promise.all([fs.promises.stat(file), fs.promises.readFile(file + '.md5', 'utf8')]);
      return '<Part><PartNumber>' + number + '</PartNumber><LastModified>' + stat.mtime.toISOString() + '</LastModified><ETag>"' + md5.trim() + '"</ETag><Size>' + stat.size + '</Size></Part>';
    }));
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>' + escape(ctx.params.bucket) + '</Bucket><Key>' + escape(key) +
      '</Key><UploadId>' + uploadId + '</UploadId><PartNumberMarker>' + marker + '</PartNumberMarker><NextPartNumberMarker>' + (page.length ? page[page.length - 1] : marker) +
      '</NextPartNumberMarker><MaxParts>' + maxParts + '</MaxParts><IsTruncated>' + (numbers.length > page.length) + '</IsTruncated>' + parts.join('') + '</ListPartsResult>';
  });
  // koa-router runs the first matching GET route: put this one before s3rver's own object GET (after its auth).
  const added = router.stack.pop();
  const index = router.stack.findIndex((layer) => layer.path === '/:bucket/*key' && layer.methods.includes('GET'));
  if (index === -1) throw new Error("s3rver's object GET route was not found: ListParts cannot be added");
  router.stack.splice(index, 0, added);
}
`;
