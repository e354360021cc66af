import GraphQL
import OrderedCollections

/// A client message of either protocol, parsed just far enough to dispatch on `type`:
/// a JSON object with a string `type`. Fields are checked by the accessor that reads them,
/// so unknown fields are ignored and wrong types are reported by name.
struct ClientMessage {
    var type: String
    var fields: OrderedDictionary<String, Map>

    init(parsing text: String, maximumDepth: Int) throws(GraphQLAPIError) {
        guard case .dictionary(let fields) = try JSONParser.parse(text, maximumDepth: maximumDepth) else {
            throw GraphQLAPIError(.invalidMessage, "Message must be a JSON object")
        }
        guard case .string(let type)? = fields["type"] else {
            throw GraphQLAPIError(.invalidMessage, "\"type\" must be a string")
        }
        self.type = type
        self.fields = fields
    }

    /// The operation id: a non-empty string (graphql-ws `validateMessage`).
    func id() throws(GraphQLAPIError) -> String {
        guard case .string(let id)? = fields["id"], !id.isEmpty else {
            throw GraphQLAPIError(.invalidMessage, "\"id\" must be a non-empty string")
        }
        return id
    }

    /// The id if there is a usable one, for echoing it in an error.
    var idIfPresent: String? {
        guard case .string(let id)? = fields["id"], !id.isEmpty else { return nil }
        return id
    }

    /// An optional object payload (connection_init, ping, pong): `nil` when absent or `null`.
    func optionalObjectPayload() throws(GraphQLAPIError) -> Map? {
        switch fields["payload"] {
        case nil, .null?, .undefined?: return nil
        case .dictionary(let object)?: return .dictionary(object)
        case .bool?, .number?, .string?, .array?:
            throw GraphQLAPIError(.invalidMessage, "\"payload\" must be an object or null")
        }
    }

    /// The payload of `subscribe` / `start`.
    func operationRequest() throws(GraphQLAPIError) -> OperationRequest {
        try OperationRequest(payload: fields["payload"])
    }
}

/// Server messages other than the hot-path `next`/`data` frames.
enum ServerMessage {
    static func typeOnly(_ type: StaticString) -> [UInt8] {
        var writer = JSONBuilder()
        writer.raw("{\"type\":\"")
        writer.raw(type)
        writer.raw("\"}")
        return writer.bytes
    }

    /// `{"type":"<type>","payload":<payload>}`, or without `payload` when `nil`.
    static func typeAndPayload(_ type: StaticString, _ payload: Map?) -> [UInt8] {
        guard let payload else { return typeOnly(type) }
        var writer = JSONBuilder()
        writer.raw("{\"type\":\"")
        writer.raw(type)
        writer.raw("\",\"payload\":")
        writer.value(payload)
        writer.raw("}")
        return writer.bytes
    }

    /// `{"id":"<id>","type":"complete"}`.
    static func complete(id: String) -> [UInt8] {
        var writer = JSONBuilder()
        writer.raw("{\"id\":")
        writer.string(id)
        writer.raw(",\"type\":\"complete\"}")
        return writer.bytes
    }

    /// `{"id":"<id>","type":"error","payload":[<GraphQL errors>]}` (graphql-transport-ws).
    static func errors(id: String, _ errors: [GraphQLError]) -> [UInt8] {
        var writer = JSONBuilder()
        writer.raw("{\"id\":")
        writer.string(id)
        writer.raw(",\"type\":\"error\",\"payload\":")
        writer.errors(errors)
        writer.raw("}")
        return writer.bytes
    }

    /// `{"id":"<id>","type":"error","payload":<one GraphQL error>}` (legacy `GQL_ERROR`, whose
    /// payload is a single error object); no `id` when `nil`.
    static func legacyError(id: String?, _ error: GraphQLError) -> [UInt8] {
        var writer = JSONBuilder()
        writer.raw("{")
        if let id {
            writer.raw("\"id\":")
            writer.string(id)
            writer.raw(",")
        }
        writer.raw("\"type\":\"error\",\"payload\":")
        writer.error(error)
        writer.raw("}")
        return writer.bytes
    }

    /// `{"type":"connection_error","payload":{"message":"<message>"}}` (legacy).
    static func connectionError(_ message: String) -> [UInt8] {
        var writer = JSONBuilder()
        writer.raw("{\"type\":\"connection_error\",\"payload\":{\"message\":")
        writer.string(message)
        writer.raw("}}")
        return writer.bytes
    }
}
