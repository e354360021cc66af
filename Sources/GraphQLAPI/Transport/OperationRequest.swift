import GraphQL
import OrderedCollections

/// The operation a client asked for: the payload of `subscribe` (graphql-transport-ws) or
/// `start` (legacy), checked field by field.
public struct OperationRequest: Sendable, Equatable {
    public var query: String
    /// `{}` when absent or `null`.
    public var variables: [String: Map]
    public var operationName: String?
    /// `{}` when absent or `null` (the legacy protocol has none).
    public var extensions: [String: Map]

    public init(
        query: String, variables: [String: Map] = [:], operationName: String? = nil, extensions: [String: Map] = [:]
    ) {
        self.query = query
        self.variables = variables
        self.operationName = operationName
        self.extensions = extensions
    }

    /// The request as GraphQLSwift's executor takes it.
    public var graphQLRequest: GraphQLRequest {
        GraphQLRequest(query: query, operationName: operationName, variables: variables)
    }

    /// Checks a payload as graphql-ws's `validateMessage` does: an object whose `query` is a
    /// string, `variables`/`extensions` objects or null, `operationName` a string or null.
    /// Unknown fields are ignored. The thrown message is short enough for a close reason.
    init(payload: Map?) throws(GraphQLAPIError) {
        guard case .dictionary(let object)? = payload else {
            throw GraphQLAPIError(.invalidMessage, "\"payload\" must be an object")
        }
        guard case .string(let query)? = object["query"] else {
            throw GraphQLAPIError(.invalidMessage, "\"payload.query\" must be a string")
        }
        self.query = query
        self.variables = try Self.optionalObject(object["variables"], "variables")
        self.extensions = try Self.optionalObject(object["extensions"], "extensions")
        switch object["operationName"] {
        case nil, .null?, .undefined?: operationName = nil
        case .string(let name)?: operationName = name
        case .bool?, .number?, .array?, .dictionary?:
            throw GraphQLAPIError(.invalidMessage, "\"payload.operationName\" must be a string or null")
        }
    }

    private static func optionalObject(_ value: Map?, _ name: String) throws(GraphQLAPIError) -> [String: Map] {
        switch value {
        case nil, .null?, .undefined?: return [:]
        case .dictionary(let object)?:
            var result: [String: Map] = [:]
            result.reserveCapacity(object.count)
            for (key, value) in object { result[key] = value }
            return result
        case .bool?, .number?, .string?, .array?:
            throw GraphQLAPIError(.invalidMessage, "\"payload.\(name)\" must be an object or null")
        }
    }
}
