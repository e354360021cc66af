import LiveViews

/// The selection set of one subscription, compiled once into a flat program that writes the
/// `next` payload of a ``ViewEvent`` as JSON bytes, without GraphQLSwift's executor
/// (architecture.md, data flow 6; conventions.md, "Hot paths").
///
/// The output is exactly what the executor would produce for the same document and event,
/// field order included (https://spec.graphql.org/October2021/#sec-Serialization-Format):
/// `{"data":{"<response key>":{…}}}` with fields in the order
/// [CollectFields](https://spec.graphql.org/October2021/#CollectFields) gives them —
/// aliases, `__typename`, inline and named fragments with type conditions, `@include` /
/// `@skip` (resolved with the subscription's variables) and merged fields are all decided at
/// compile time, so encoding only copies literals and writes column values.
///
/// What an event carries follows upstream tycostream (`src/view/view.ts`, delta updates), with
/// one deliberate superset:
/// - INSERT: every column; `fields` lists every column in schema order.
/// - UPDATE: the primary-key columns and the changed columns; other selected columns are
///   `null`, as upstream's resolver renders a key its `data` object lacks; `fields` lists the
///   changed columns in schema order (upstream does not list the key).
/// - DELETE: every column (upstream sends only the key; the rest is a superset a client
///   reading the key is unaffected by); `fields` lists every column.
///
/// Projections are `Hashable` by their compiled program: two subscriptions that select the
/// same output (whatever the spelling of their documents) compare equal, so the server can
/// encode each event once per distinct (view, projection) and send the same bytes to all.
public struct Projection: Sendable, Hashable {
    /// One instruction of the compiled program.
    enum Step: Sendable, Hashable {
        /// Bytes known at compile time: braces, `"key":`, `__typename` values.
        case literal([UInt8])
        /// `"INSERT"`, `"UPDATE"` or `"DELETE"`.
        case operation
        /// The `fields` list (see the type's documentation).
        case fields
        /// The value of column `index`, or `null` when the event does not carry it.
        case column(Int)
    }

    let steps: [Step]
    /// Primary-key columns: always carried.
    let keyColumns: ColumnSet
    /// Every column name, JSON-quoted, for `fields`.
    let quotedColumnNames: [[UInt8]]
    /// `fields` of INSERT and DELETE: every column, precomputed.
    let allColumnsList: [UInt8]
    /// A size hint for the output buffer, learned from the literals.
    let literalByteCount: Int

    /// The columns the selection reads under `data`.
    public let selectedColumns: ColumnSet
    /// Whether the selection includes `fields` (whose value depends on every changed column).
    public let selectsFields: Bool

    init(steps: [Step], schema: SourceSchema, selectedColumns: ColumnSet, selectsFields: Bool) {
        var merged: [Step] = []
        for step in steps {
            if case .literal(let bytes) = step, case .literal(let previous)? = merged.last {
                merged[merged.count - 1] = .literal(previous + bytes)
            } else {
                merged.append(step)
            }
        }
        self.steps = merged
        self.keyColumns = ColumnSet(schema.primaryKey)
        var names: [[UInt8]] = []
        var list: [UInt8] = [UInt8(ascii: "[")]
        for (index, column) in schema.columns.enumerated() {
            var quoted: [UInt8] = []
            JSONWriter.writeString(column.name, to: &quoted)
            names.append(quoted)
            if index > 0 { list.append(UInt8(ascii: ",")) }
            list += quoted
        }
        list.append(UInt8(ascii: "]"))
        self.quotedColumnNames = names
        self.allColumnsList = list
        self.literalByteCount = merged.reduce(0) { total, step in
            if case .literal(let bytes) = step { return total + bytes.count }
            return total
        }
        self.selectedColumns = selectedColumns
        self.selectsFields = selectsFields
    }

    /// The columns whose changes make an UPDATE visible to this selection, for
    /// ``SubscriptionOptions/columns``: `nil` (every column) when `fields` is selected.
    /// An UPDATE changing only other columns would encode as the key and `null`s alone.
    public var relevantColumns: ColumnSet? {
        selectsFields ? nil : selectedColumns
    }

    /// Appends the JSON payload of `event` to `buffer`.
    public func encode(_ event: ViewEvent, into buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + literalByteCount + 16 * selectedColumns.count)
        let row = event.row
        let isUpdate = event.operation == .update
        for step in steps {
            switch step {
            case .literal(let bytes):
                buffer.append(contentsOf: bytes)
            case .operation:
                buffer.append(contentsOf: Self.operationLiteral(event.operation))
            case .fields:
                if isUpdate {
                    buffer.append(UInt8(ascii: "["))
                    var first = true
                    for index in quotedColumnNames.indices where event.changed.contains(index) {
                        if !first { buffer.append(UInt8(ascii: ",")) }
                        first = false
                        buffer.append(contentsOf: quotedColumnNames[index])
                    }
                    buffer.append(UInt8(ascii: "]"))
                } else {
                    buffer.append(contentsOf: allColumnsList)
                }
            case .column(let index):
                if isUpdate && !keyColumns.contains(index) && !event.changed.contains(index) {
                    buffer.append(contentsOf: JSONWriter.nullLiteral)
                } else {
                    JSONWriter.writeValue(row.value(at: index), to: &buffer)
                }
            }
        }
    }

    /// The JSON payload of `event`.
    public func encode(_ event: ViewEvent) -> [UInt8] {
        var buffer: [UInt8] = []
        encode(event, into: &buffer)
        return buffer
    }

    private static let insertLiteral: [UInt8] = Array(#""INSERT""#.utf8)
    private static let updateLiteral: [UInt8] = Array(#""UPDATE""#.utf8)
    private static let deleteLiteral: [UInt8] = Array(#""DELETE""#.utf8)

    @inline(__always)
    private static func operationLiteral(_ operation: ViewEvent.Operation) -> [UInt8] {
        switch operation {
        case .insert: insertLiteral
        case .update: updateLiteral
        case .delete: deleteLiteral
        }
    }
}
