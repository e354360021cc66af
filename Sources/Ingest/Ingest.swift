/// Ingest: one resilient Materialize SUBSCRIBE per source.
public enum Ingest {}
