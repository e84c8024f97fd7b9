package org.pacsfs.fuse.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code s3://bucket[/prefix]}: where a filesystem lives. The prefix is normalized to "" or "a/b/". */
record S3Location(String bucket, String prefix) {

    static S3Location parse(String value) {
        if (!value.startsWith("s3://")) {
            throw new TypeConversionException("'" + value + "' is not an S3 location; expected s3://BUCKET or s3://BUCKET/PREFIX");
        }
        String rest = value.substring("s3://".length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+", "/");
        if (prefix.startsWith("/")) {
            prefix = prefix.substring(1);
        }
        if (!prefix.isEmpty() && !prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        if (bucket.isEmpty()) {
            throw new TypeConversionException("'" + value + "' names no bucket; expected s3://BUCKET or s3://BUCKET/PREFIX");
        }
        return new S3Location(bucket, prefix);
    }

    @Override
    public String toString() {
        return "s3://" + bucket + "/" + prefix;
    }

    /** A name for local directories derived from the location (bucket and prefix, path separators replaced). */
    String localName() {
        String p = prefix.isEmpty() ? "" : "_" + prefix.substring(0, prefix.length() - 1).replace('/', '_');
        return bucket + p;
    }

    static final class Converter implements ITypeConverter<S3Location> {
        @Override
        public S3Location convert(String value) {
            return parse(value);
        }
    }
}
