/**
 * ListMultipartUploads for s3rver, which answers it with 501: a route added inside the s3rver child process, behind
 * s3rver's own signature check, that reads the uploads s3rver keeps on disk (`<bucket>/uploads/<uploadId>/key`, written
 * once when the upload starts, so its mtime is the initiation time; the directory goes when the upload completes) and
 * answers with S3's documented ListMultipartUploadsResult: uploads by key (UTF-8 byte order), then by initiation, under
 * `prefix`, after `key-marker` (and, of that key, after `upload-id-marker`), rolled up at `delimiter`, `max-uploads`
 * entries a page (default and cap 1000), keys URL-encoded with `encoding-type=url`. An upload-id-marker naming an upload
 * that has gone lists that key's remaining uploads again. It is CommonJS source, run in the child after s3rver is
 * loaded (`router`, `S3Error` and `bucketExists` are s3rver's).
 */
export const LIST_UPLOADS_SOURCE = `
function addListUploads(router, S3Error, bucketExists, fs, path) {
  const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const element = (name, value) => '<' + name + '>' + escape(value) + '</' + name + '>';
  const compare = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  router.get('/:bucket', async (ctx, next) => {
    if (!('uploads' in ctx.query)) return next();
    await bucketExists(ctx);
    const text = (name) => (ctx.query[name] === undefined ? '' : String(ctx.query[name]));
    const prefix = text('prefix');
    const delimiter = text('delimiter');
    const keyMarker = text('key-marker');
    const uploadIdMarker = keyMarker === '' ? '' : text('upload-id-marker');
    const encodingType = ctx.query['encoding-type'];
    if (encodingType !== undefined && encodingType !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: String(encodingType) });
    const maxText = ctx.query['max-uploads'] === undefined ? '1000' : text('max-uploads');
    if (!/^\\d{1,10}$/.test(maxText) || Number(maxText) > 2147483647) throw new S3Error('InvalidArgument', 'Argument max-uploads must be an integer between 0 and 2147483647', { ArgumentName: 'max-uploads', ArgumentValue: maxText });
    if (uploadIdMarker !== '' && !/^[0-9a-f]+$/.test(uploadIdMarker)) throw new S3Error('InvalidArgument', 'Invalid uploadId marker', { ArgumentName: 'upload-id-marker', ArgumentValue: uploadIdMarker });
    const maxUploads = Math.min(1000, Number(maxText));
    const directory = ctx.store.getResourcePath(ctx.params.bucket, undefined, 'uploads');
    let names = [];
    try {
      names = await fs.promises.readdir(directory);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    const uploads = [];
    for (const uploadId of names.filter((name) => /^[0-9a-f]+$/.test(name))) {
      const file = path.join(directory, uploadId, 'key');
      try {
        const [key, stat] = await Promise.all([fs.promises.readFile(file, 'utf8'), fs.promises.stat(file)]);
        if (key.startsWith(prefix)) uploads.push({ key, uploadId, initiated: stat.mtime });
      } catch {
        // Completed since the directory was read: no longer in progress.
      }
    }
    uploads.sort((a, b) => compare(a.key, b.key) || a.initiated - b.initiated || compare(a.uploadId, b.uploadId));
    let start = 0;
    if (keyMarker !== '') {
      const marked = uploadIdMarker === '' ? -1 : uploads.findIndex((upload) => upload.key === keyMarker && upload.uploadId === uploadIdMarker);
      start = marked !== -1 ? marked + 1 : uploads.findIndex((upload) => compare(upload.key, keyMarker) > 0 || (uploadIdMarker !== '' && upload.key === keyMarker));
      if (start === -1) start = uploads.length;
    }
    const entries = [];
    let truncated = false;
    for (const upload of uploads.slice(start)) {
      const cut = delimiter === '' ? -1 : upload.key.indexOf(delimiter, prefix.length);
      const common = cut === -1 ? undefined : upload.key.slice(0, cut + delimiter.length);
      // A common prefix is listed once, and not again after a key-marker naming it (a previous page's last entry).
      if (common !== undefined && ((entries.length > 0 && entries[entries.length - 1].common === common) || common === keyMarker)) continue;
      if (entries.length === maxUploads) {
        truncated = true;
        break;
      }
      entries.push(common === undefined ? { upload } : { common });
    }
    const encode = (value) => (encodingType === 'url' ? encodeURIComponent(value).replace(/%2F/g, '/') : value);
    const person = element('ID', 'S3RVER') + element('DisplayName', 'S3rver');
    const last = entries[entries.length - 1];
    const listed = entries.filter((entry) => entry.upload).map(({ upload }) =>
      '<Upload>' + element('Key', encode(upload.key)) + element('UploadId', upload.uploadId) + '<Initiator>' + person + '</Initiator><Owner>' + person + '</Owner>' +
      element('StorageClass', 'STANDARD') + element('Initiated', upload.initiated.toISOString()) + '</Upload>');
    const common = entries.filter((entry) => entry.common !== undefined).map((entry) => '<CommonPrefixes>' + element('Prefix', encode(entry.common)) + '</CommonPrefixes>');
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      element('Bucket', ctx.params.bucket) + element('KeyMarker', encode(keyMarker)) + element('UploadIdMarker', uploadIdMarker) +
      element('NextKeyMarker', last === undefined ? '' : encode(last.upload ? last.upload.key : last.common)) + element('Prefix', encode(prefix)) +
      (delimiter === '' ? '' : element('Delimiter', encode(delimiter))) + element('NextUploadIdMarker', last && last.upload ? last.upload.uploadId : '') +
      element('MaxUploads', maxUploads) + element('IsTruncated', truncated) + listed.join('') + common.join('') +
      (encodingType === undefined ? '' : element('EncodingType', 'url')) + '</ListMultipartUploadsResult>';
  });
  // koa-router runs the first matching GET route: put this one before s3rver's own bucket GET (after its auth).
  const added = router.stack.pop();
  const index = router.stack.findIndex((layer) => layer.path === '/:bucket' && layer.methods.includes('GET'));
  if (index === -1) throw new Error("s3rver's bucket GET route was not found: ListMultipartUploads cannot be added");
  router.stack.splice(index, 0, added);
}
`;
