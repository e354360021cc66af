// TEMPORARY stand-in for the `Filter` that arrives from branch `filters`, with the same API.
// It understands only `{}`, `_and`, and per-column `_eq`, `_in`, `_gt`, `_lt`; it is deleted
// when `filters` is merged.

public struct Pinned: Sendable, Hashable {
    public let column: Int
    public let values: Set<Value>
}

public struct Filter: Sendable, Hashable {
    indirect enum Node: Sendable, Hashable {
        case all
        case and([Node])
        case eq(Int, Value)
        case inSet(Int, Set<Value>)
        case gt(Int, Value)
        case lt(Int, Value)
    }

    let node: Node
    public let canonical: String

    init(node: Node) {
        self.node = node
        self.canonical = "\(node)"
    }

    public static let all = Filter(node: .all)

    public init(_ input: FilterInput, schema: SourceSchema) throws(LiveViewsError) {
        self.init(node: try Self.compile(input, schema))
    }

    static func compile(_ input: FilterInput, _ schema: SourceSchema) throws(LiveViewsError) -> Node {
        guard case .object(let fields) = input else { throw LiveViewsError(.invalidFilter, "object expected") }
        var nodes: [Node] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            if name == "_and" {
                guard case .list(let items) = value else { throw LiveViewsError(.invalidFilter, "list expected") }
                for item in items { nodes.append(try compile(item, schema)) }
                continue
            }
            guard let column = schema.columnIndex(named: name), case .object(let ops) = value else {
                throw LiveViewsError(.invalidFilter, "unknown column \(name)")
            }
            for (op, operand) in ops.sorted(by: { $0.key < $1.key }) {
                switch op {
                case "_eq": nodes.append(.eq(column, try convert(operand)))
                case "_gt": nodes.append(.gt(column, try convert(operand)))
                case "_lt": nodes.append(.lt(column, try convert(operand)))
                case "_in":
                    guard case .list(let items) = operand else { throw LiveViewsError(.invalidFilter, "list expected") }
                    var set = Set<Value>()
                    for item in items { set.insert(try convert(item)) }
                    nodes.append(.inSet(column, set))
                default: throw LiveViewsError(.invalidFilter, "unknown operator \(op)")
                }
            }
        }
        if nodes.isEmpty { return .all }
        return nodes.count == 1 ? nodes[0] : .and(nodes)
    }

    static func convert(_ input: FilterInput) throws(LiveViewsError) -> Value {
        switch input {
        case .int(let v): return .integer(v)
        case .string(let v): return .string(v)
        case .bool(let v): return .bool(v)
        case .float(let v): return .float(v)
        default: throw LiveViewsError(.invalidFilter, "unsupported literal")
        }
    }

    public var isAll: Bool { node == .all }

    public var columnsRead: [Int] {
        var set = Set<Int>()
        func walk(_ node: Node) {
            switch node {
            case .all: break
            case .and(let nodes): nodes.forEach(walk)
            case .eq(let c, _), .inSet(let c, _), .gt(let c, _), .lt(let c, _): set.insert(c)
            }
        }
        walk(node)
        return set.sorted()
    }

    public var pinned: Pinned? {
        func pin(_ node: Node) -> Pinned? {
            switch node {
            case .eq(let c, let v): return Pinned(column: c, values: [v])
            case .inSet(let c, let values): return Pinned(column: c, values: values)
            case .and(let nodes):
                for node in nodes { if let p = pin(node) { return p } }
                return nil
            case .all, .gt, .lt: return nil
            }
        }
        return pin(node)
    }

    public func matches(_ row: some ColumnValues) -> Bool {
        func eval(_ node: Node) -> Bool {
            switch node {
            case .all: return true
            case .and(let nodes): return nodes.allSatisfy(eval)
            case .eq(let c, let v): return row.value(at: c) == v
            case .inSet(let c, let values): return values.contains(row.value(at: c))
            case .gt(let c, let v): return Self.less(v, row.value(at: c))
            case .lt(let c, let v): return Self.less(row.value(at: c), v)
            }
        }
        return eval(node)
    }

    static func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x < y
        case (.string(let x), .string(let y)): return x < y
        default: return false
        }
    }

    public static func == (lhs: Filter, rhs: Filter) -> Bool { lhs.canonical == rhs.canonical }
    public func hash(into hasher: inout Hasher) { hasher.combine(canonical) }
}
