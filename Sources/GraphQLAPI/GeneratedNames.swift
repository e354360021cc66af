/// The GraphQL type and field names the API generates, spelled exactly as upstream tycostream's
/// `src/api/schema.ts` spells them, so an Apollo client written for upstream works against us.
///
/// The schema file loader checks declared names against these to report a collision at its line,
/// before the GraphQL schema is built.
public enum GeneratedNames {
    /// `enum RowOperation { INSERT UPDATE DELETE }`.
    public static let rowOperation = "RowOperation"
    /// `type Trigger { name webhook fire clear fire_for_existing_rows signed status }`.
    public static let trigger = "Trigger"
    /// Ours: a trigger's webhook delivery counters, `Trigger.status`.
    public static let triggerDeliveryStatus = "TriggerDeliveryStatus"
    /// Ours: a delivery given up on, listed by `webhook_dead_letters`.
    public static let webhookDeadLetter = "WebhookDeadLetter"
    /// Ours: `webhook_dead_letters(source:trigger:)`, `retry_webhook_dead_letter(event_id:)`,
    /// `discard_webhook_dead_letter(event_id:)`.
    public static let deadLettersField = "webhook_dead_letters"
    public static let retryDeadLetterField = "retry_webhook_dead_letter"
    public static let discardDeadLetterField = "discard_webhook_dead_letter"
    /// The custom scalar for JSON and Array columns (upstream used String; we carry real JSON).
    public static let json = "JSON"
    public static let stringComparison = "StringComparison"
    public static let intComparison = "IntComparison"
    public static let floatComparison = "FloatComparison"
    public static let booleanComparison = "BooleanComparison"

    /// Type names that exist whatever the schema file says: ours, the root types and the
    /// built-in scalars.
    public static let fixedTypeNames: [String] = [
        rowOperation, trigger, triggerDeliveryStatus, webhookDeadLetter, json, stringComparison, intComparison, floatComparison, booleanComparison,
        "Query", "Mutation", "Subscription", "String", "Int", "Float", "Boolean", "ID",
    ]

    /// Fields of every `<source>Expression` input besides the columns.
    public static let logicalOperators = ["_and", "_or", "_not"]

    /// The object type of a source's rows: the source name itself.
    public static func sourceType(_ source: String) -> String { source }
    /// `<source>Update`, the subscription event type.
    public static func updateType(_ source: String) -> String { "\(source)Update" }
    /// `<source>Expression`, the `where` / `fire` / `clear` input.
    public static func expressionType(_ source: String) -> String { "\(source)Expression" }
    /// `<source>TriggerInput`, the `create_<source>_trigger` input.
    public static func triggerInputType(_ source: String) -> String { "\(source)TriggerInput" }
    /// `<enum>Comparison`, the comparison input of an enum's columns.
    public static func enumComparisonType(_ enumName: String) -> String { "\(enumName)Comparison" }

    /// `<source>_triggers`, the query listing a source's triggers.
    public static func listTriggersField(_ source: String) -> String { "\(source)_triggers" }
    /// `<source>_trigger(name:)`, the query fetching one trigger.
    public static func triggerField(_ source: String) -> String { "\(source)_trigger" }
    /// `create_<source>_trigger(input:)`.
    public static func createTriggerField(_ source: String) -> String { "create_\(source)_trigger" }
    /// `delete_<source>_trigger(name:)`.
    public static func deleteTriggerField(_ source: String) -> String { "delete_\(source)_trigger" }

    /// Whether `name` matches `/^[_A-Za-z][_0-9A-Za-z]*$/` and does not start with `__`
    /// (reserved for introspection), as the GraphQL spec requires
    /// (https://spec.graphql.org/October2021/#Name).
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first else { return false }
        guard isNameStart(first) else { return false }
        for byte in bytes.dropFirst() where !(isNameStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))) {
            return false
        }
        return !name.hasPrefix("__")
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
