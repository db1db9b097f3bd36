-- The digest each rpm and apk package recorded for each of its regular
-- files (rpm FILEDIGESTS, apk Z: lines), which `dci drift` checks files the
-- container changed against, as `rpm -V` and `apk audit` do. One entry per
-- line of `files`, in order: a length byte (0: no digest for that file)
-- and the raw digest, whose length names the algorithm (16 md5, 20 sha1,
-- 28 sha224, 32 sha256, 48 sha384, 64 sha512). NULL for dpkg packages
-- (their md5sums stay in info/PKG.md5sums) and for package sets stored
-- before this migration.
ALTER TABLE packages ADD COLUMN file_digests BLOB;
