/// PGSim: a Postgres-wire server that behaves like Materialize for tests and the demo.
public enum PGSim {}
