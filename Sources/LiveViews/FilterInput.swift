/// A filter expression as a client wrote it: Hasura-style `where` input,
/// already parsed from GraphQL or JSON but not yet checked against a schema.
///
/// GraphQL enum literals arrive as `.string`. Object key order carries no meaning.
public indirect enum FilterInput: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case list([FilterInput])
    case object([String: FilterInput])
}
