import FakeOpenRouter
import Foundation
import Media
import Tasks
import Testing
import TestSupport

/// Chained tasks (`"inputImages": "@id"`): the real binary against the fake, judged by the
/// requests the fake received, the journal and the files on disk.
@Suite struct ChainedTaskTests {
    private static let model = "google/gemini-2.5-flash-image"

    /// The text of a chat request's user message, whether sent alone or with images.
    private func text(of request: RecordedRequest) -> String? {
        guard let content = (request.json()?["messages"] as? [[String: Any]])?.first?["content"] else { return nil }
        if let text = content as? String { return text }
        return ((content as? [[String: Any]])?.first { $0["type"] as? String == "text" })?["text"] as? String
    }

    /// The reference images a request carried, as the fake decoded them.
    private func referenceImages(of request: RecordedRequest) -> [[UInt8]] { request.referenceImages }

    private func requests(_ server: FakeOpenRouterServer, prompt: String) -> [RecordedRequest] {
        generationRequests(server).filter { text(of: $0) == prompt }
    }

    /// A manifest of these tasks (JSON objects, one a line from the second), all made by `model`.
    private func chainManifest(_ tasks: String, name: String = "chain") -> String {
        #"{"name": "\#(name)", "defaults": {"image": {"model": "\#(Self.model)"}}, "tasks": [\#n"# + tasks + "\n]}\n"
    }

    private func bytes(_ path: String) -> [UInt8] { FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [] }

    private func run(_ server: FakeOpenRouterServer, in folder: TempFolder, _ extra: [String] = []) throws -> ProcessResult {
        try runCLI(runArguments(server, extra), environment: runEnvironment, in: folder.path)
    }

    /// A dependent written before its producer: the producer goes first, and the dependent's
    /// request carries the producer's file, byte for byte; `plan` lists the producer first.
    @Test func aDependentGetsItsProducersExactBytesWhateverTheManifestOrder() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        _ = folder.write("m.json", chainManifest("""
              {"id": "variant", "prompt": "the same mug in blue", "inputImages": "@shot"},
              {"id": "poster", "prompt": "a poster of both", "inputImages": ["@variant", "@shot"]},
              {"id": "shot", "prompt": "studio photo of a mug"}
            """))
        let plan = try runCLI(["plan", "m.json", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        #expect(plan.status == 0, "\(plan.stderr)")
        let ids = plan.stdout.split(separator: "\n").filter { $0.contains("\t") }.compactMap { $0.split(separator: "\t").first.map(String.init) }
        #expect(ids == ["shot", "variant ← @shot", "poster ← @variant @shot"])
        let json = try runCLI(["plan", "m.json", "--json", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        let tasks = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["id"] as? String } == ["shot", "variant", "poster"])
        #expect(tasks[2]["after"] as? [String] == ["variant", "shot"])
        #expect(tasks[2]["references"] as? [String] == ["@variant", "@shot"])
        #expect(tasks[0]["after"] == nil)

        let result = try run(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let shot = bytes(folder.path + "/out/chain/shot.png")
        let variant = bytes(folder.path + "/out/chain/variant.png")
        #expect(!shot.isEmpty && !variant.isEmpty)
        let shotRequest = try #require(requests(server, prompt: "studio photo of a mug").first)
        let variantRequest = try #require(requests(server, prompt: "the same mug in blue").first)
        let posterRequest = try #require(requests(server, prompt: "a poster of both").first)
        #expect(referenceImages(of: shotRequest).isEmpty)
        #expect(referenceImages(of: variantRequest) == [shot])
        #expect(referenceImages(of: posterRequest) == [variant, shot])
        #expect(shotRequest.receivedAt < variantRequest.receivedAt && variantRequest.receivedAt < posterRequest.receivedAt)
        #expect(generationRequests(server).count == 3)
    }

    /// References spelled by a rows column (the manifest's text names no `"@…"`): the planner
    /// keeps no producer's key for them and finds the producers again, in `plan` and `run`
    /// alike, with the states and order a reference written in the manifest gets.
    @Test func referencesFromARowsColumnPlanAndRunLikeWrittenOnes() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        folder.write("a.csv", "id\nP1\nP2\n")
        folder.write("b.csv", "id,ref\nD1,@P1\nD2,@P2\n")
        let manifest = #"{"name": "rc", "defaults": {"image": {"model": "\#(Self.model)"}}, "tasks": ["#
            + #"{"rows": "a.csv", "id": "{id}", "prompt": "photo {id}"}, {"rows": "b.csv", "id": "{id}", "prompt": "variant {id}", "inputImages": "{ref}"}]}"#
        #expect(!manifest.contains("\"@"))
        _ = folder.write("m.json", manifest)
        func planned() throws -> [(id: String, state: String)] {
            let json = try runCLI(["plan", "m.json", "--json", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
            #expect(json.status == 0, "\(json.stderr)")
            let tasks = try #require((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["tasks"] as? [[String: Any]])
            return tasks.map { ($0["id"] as? String ?? "", $0["state"] as? String ?? "") }
        }
        #expect(try planned().map(\.id) == ["P1", "D1", "P2", "D2"])
        #expect(try planned().allSatisfy { $0.state == "run" })
        #expect(try run(server, in: folder).status == 0)
        #expect(generationRequests(server).count == 4)
        let d1 = try #require(requests(server, prompt: "variant D1").first)
        #expect(referenceImages(of: d1) == [bytes(folder.path + "/out/rc/P1.png")])
        #expect(try planned().allSatisfy { $0.state == "done" })
        // A producer's file removed: it runs again, and its dependent waits for it.
        try FileManager.default.removeItem(atPath: folder.path + "/out/rc/P1.png")
        #expect(try planned().filter { $0.state == "run" }.map(\.id) == ["P1", "D1"])
        let rerun = try run(server, in: folder)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(requests(server, prompt: "photo P1").count == 2)
        #expect(requests(server, prompt: "photo P2").count == 1)
    }

    /// A producer that fails, or is refused, fails its dependents (and theirs) with its
    /// reason, journaled and counted, and no request is sent for them.
    @Test(arguments: ["#fake:status=400", "#fake:refuse=content_filter"])
    func aFailedOrRefusedProducerFailsItsDependentsUnsent(directive: String) throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        _ = folder.write("m.json", chainManifest("""
              {"id": "q", "prompt": "a variation", "inputImages": "@p"},
              {"id": "r", "prompt": "a variation of the variation", "inputImages": "@q"},
              {"id": "p", "prompt": "the original \(directive)"},
              {"id": "other", "prompt": "an unrelated picture"}
            """))
        let result = try run(server, in: folder)
        #expect(result.status != 0)
        #expect(requests(server, prompt: "a variation").isEmpty)
        #expect(requests(server, prompt: "a variation of the variation").isEmpty)
        #expect(requests(server, prompt: "an unrelated picture").count == 1)
        let journal = JournalLines(path: folder.path + "/out/chain/.mediabatch/journal.jsonl")
        let failed = Dictionary(journal.records("failed").map { ($0["task"] as? String ?? "?", $0) }, uniquingKeysWith: { $1 })
        let reason = directive.contains("status") ? "failed" : "was refused"
        let q = try #require(failed["q"])
        #expect(q["cause"] as? String == "producer")
        #expect(q["attempts"] as? Int == 0)
        #expect((q["message"] as? String)?.hasPrefix("its producer p \(reason): ") == true)
        let r = try #require(failed["r"])
        #expect((r["message"] as? String)?.hasPrefix("its producer q failed: its producer p \(reason)") == true)
        #expect(journal.records("started").allSatisfy { ["p", "other"].contains($0["task"] as? String) })
        #expect(result.stdout.contains("FAILED q") || result.stderr.contains("FAILED q"))
        #expect((result.stdout + result.stderr).contains(directive.contains("status") ? "1 done, 3 failed" : "1 done, 2 failed, 1 refused"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/chain/q.png"))
    }

    /// An unknown id and a cycle are validation errors naming the dependent's place and the
    /// producer's id or the cycle; nothing is sent, by validate, plan or run.
    @Test func anUnknownIdACycleAndASpeechProducerAreRejectedBeforeAnyRequest() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        _ = folder.write("m.json", chainManifest("""
              {"id": "a", "prompt": "A", "inputImages": "@b"},
              {"id": "b", "prompt": "B", "inputImages": ["@a"]},
              {"id": "lost", "prompt": "C", "inputImages": "@nowhere"},
              {"id": "hears", "prompt": "D", "inputImages": "@intro"},
              {"id": "intro", "type": "tts", "text": "Hello."}
            """, name: "bad"))
        for command in ["validate", "plan", "run"] {
            var arguments = [command, "m.json"]
            if command != "validate" { arguments += ["--output-root", "out", "--base-url", server.baseURL] }
            let result = try runCLI(arguments, environment: runEnvironment, in: folder.path)
            #expect(result.status == 65, "\(command): \(result.stderr)")
            #expect(result.stderr.contains(#"m.json:4: tasks[2].inputImages = "@nowhere": no task of the batch has the id "nowhere""#), "\(result.stderr)")
            #expect(result.stderr.contains(#"m.json:5: tasks[3].inputImages = "@intro": task intro makes no image"#))
            #expect(result.stderr.contains(#"tasks[1].inputImages[0] = "@a": a cycle of task references: "#) || result.stderr.contains(#"tasks[0].inputImages = "@b": a cycle of task references: "#))
            #expect(result.stderr.contains("a → b → a") || result.stderr.contains("b → a → b"))
        }
        #expect(generationRequests(server).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/bad"))
    }

    /// A rerun after success sends nothing; a producer's new prompt re-runs it and its
    /// dependent (its file changed), and nothing else.
    @Test func aRerunSendsNothingAndAChangedProducerRerunsItsDependents() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        func manifest(_ producerPrompt: String) -> String {
            chainManifest("""
              {"id": "shot", "prompt": "\(producerPrompt)"},
              {"id": "variant", "prompt": "the same in blue", "inputImages": "@shot"},
              {"id": "alone", "prompt": "an unrelated picture"}
            """)
        }
        _ = folder.write("m.json", manifest("a red mug"))
        #expect(try run(server, in: folder).status == 0)
        #expect(generationRequests(server).count == 3)
        let rerun = try run(server, in: folder)
        #expect(rerun.status == 0)
        #expect(generationRequests(server).count == 3)
        #expect((rerun.stdout + rerun.stderr).contains("3 already done"))

        _ = folder.write("m.json", manifest("a green mug"))
        #expect(try run(server, in: folder).status == 0)
        #expect(generationRequests(server).count == 5)
        #expect(requests(server, prompt: "a green mug").count == 1)
        let variants = requests(server, prompt: "the same in blue")
        #expect(variants.count == 2)
        #expect(referenceImages(of: variants[1]) == [bytes(folder.path + "/out/chain/shot.png")])
        #expect(requests(server, prompt: "an unrelated picture").count == 1)
        #expect(try run(server, in: folder).status == 0)
        #expect(generationRequests(server).count == 5)

        // The producer's file removed: it is made again; its dependent runs again only if
        // the new file differs (its key holds the file's hash).
        let before = bytes(folder.path + "/out/chain/shot.png")
        try FileManager.default.removeItem(atPath: folder.path + "/out/chain/shot.png")
        let remade = try run(server, in: folder)
        #expect(remade.status == 0)
        #expect(requests(server, prompt: "a green mug").count == 2)
        let after = bytes(folder.path + "/out/chain/shot.png")
        #expect(requests(server, prompt: "the same in blue").count == (after == before ? 2 : 3))
        if after == before { #expect((remade.stdout + remade.stderr).contains("2 already done")) }
    }

    /// A dependent refused is left alone by reruns, like any refused task, while its
    /// producer's file is the one it was refused with.
    @Test func aRefusedDependentIsLeftAloneByReruns() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        _ = folder.write("m.json", chainManifest("""
              {"id": "shot", "prompt": "a mug"},
              {"id": "variant", "prompt": "the same, refused #fake:refuse=content_filter", "inputImages": "@shot"}
            """))
        #expect(try run(server, in: folder).status != 0)
        #expect(requests(server, prompt: "the same, refused #fake:refuse=content_filter").count == 1)
        let rerun = try run(server, in: folder)
        #expect((rerun.stdout + rerun.stderr).contains("1 already done") && (rerun.stdout + rerun.stderr).contains("1 refused before"), "\(rerun.stderr)")
        #expect(generationRequests(server).count == 2)

        let before = bytes(folder.path + "/out/chain/shot.png")
        try FileManager.default.removeItem(atPath: folder.path + "/out/chain/shot.png")
        let remade = try run(server, in: folder)
        #expect(requests(server, prompt: "a mug").count == 2)
        let same = bytes(folder.path + "/out/chain/shot.png") == before
        #expect(requests(server, prompt: "the same, refused #fake:refuse=content_filter").count == (same ? 1 : 2))
        if same { #expect((remade.stdout + remade.stderr).contains("1 refused before"), "\(remade.stderr)") }
    }

    /// A producer kept (its output path holds a file mediabatch did not write) fails its
    /// dependent with that reason, unsent; the foreign file is untouched.
    @Test func aKeptProducerFailsItsDependent() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        _ = folder.write("m.json", chainManifest("""
              {"id": "shot", "prompt": "a mug"},
              {"id": "variant", "prompt": "the same in blue", "inputImages": "@shot"}
            """))
        let foreign: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 1, count: 64)
        _ = folder.write("out/chain/shot.png", bytes: foreign)
        let result = try run(server, in: folder)
        #expect(result.status == 1)
        #expect((result.stdout + result.stderr).contains("0 done, 1 failed, 1 kept"))
        #expect(generationRequests(server).isEmpty)
        #expect(bytes(folder.path + "/out/chain/shot.png") == foreign)
        let failed = JournalLines(path: folder.path + "/out/chain/.mediabatch/journal.jsonl").records("failed")
        #expect(failed.count == 1)
        #expect(failed.first?["task"] as? String == "variant")
        #expect((failed.first?["message"] as? String)?.hasPrefix("its producer shot was kept, not run") == true)
    }

    /// Shards keep a chain together: every chain's producer and dependents land in the same
    /// shard's journal, and every dependent is done.
    @Test func shardsKeepEachChainInOneShard() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let chains = (1...8).map { number in
            """
              {"id": "root\(number)", "prompt": "root picture \(number)"},
              {"id": "child\(number)", "prompt": "child picture \(number)", "inputImages": "@root\(number)"},
              {"id": "grandchild\(number)", "prompt": "grandchild picture \(number)", "inputImages": "@child\(number)"}
            """
        }
        _ = folder.write("m.json", chainManifest("""
            \(chains.joined(separator: ",\n"))
            """))
        var shardOf: [String: Int] = [:]
        for shard in 0..<2 {
            // plan --shard sees the same split: a chain is to run, or in another shard, whole.
            let plan = try runCLI(["plan", "m.json", "--json", "--shard", "\(shard)/2", "--output-root", "out", "--base-url", server.baseURL],
                                  environment: runEnvironment, in: folder.path)
            let tasks = try #require((try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])?["tasks"] as? [[String: Any]])
            let state = Dictionary(uniqueKeysWithValues: tasks.map { ($0["id"] as? String ?? "?", $0["state"] as? String ?? "?") })
            #expect(state.count == 24)
            for number in 1...8 {
                #expect(state["child\(number)"] == state["root\(number)"] && state["grandchild\(number)"] == state["root\(number)"])
            }
            #expect(Set(state.values) == ["run", "other shard"])
            let result = try run(server, in: folder, ["--shard", "\(shard)/2"])
            #expect(result.status == 0, "\(result.stderr)")
            let journal = JournalLines(path: folder.path + "/out/chain/.mediabatch/journal.shard-\(shard)-of-2.jsonl")
            for task in journal.doneCountByTask.keys { shardOf[task] = shard }
        }
        #expect(shardOf.count == 24)
        for number in 1...8 {
            #expect(shardOf["child\(number)"] == shardOf["root\(number)"])
            #expect(shardOf["grandchild\(number)"] == shardOf["root\(number)"])
        }
        #expect(Set(shardOf.values) == [0, 1])
        #expect(generationRequests(server).count == 24)
    }

    /// `@id#n` names the n-th image of a producer that makes several in one request (/images
    /// with `n`): `fox-2.png` for `@fox#2`, sent by either endpoint; `@fox` alone, or `#4`, is
    /// rejected before anything is sent.
    @Test func anImageNumberPicksOneOfAProducersImages() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        func manifest(_ extra: String) -> String {
            """
            {"name": "sheet", "defaults": {"image": {"api": "images", "model": "openrouter/\(Self.model)"}}, "tasks": [
              {"id": "fox", "prompt": "a fox", "count": 3},
              {"id": "pick", "prompt": "the second fox at night", "inputImages": ["@fox#2"]},
              {"id": "chat-pick", "api": "chat", "prompt": "the third fox in snow", "inputImages": "@fox#3"}\(extra)
            ]}
            """
        }
        _ = folder.write("m.json", manifest(#",\#n  {"id": "vague", "prompt": "p", "inputImages": "@fox"}, {"id": "far", "prompt": "q", "inputImages": "@fox#4"}"#))
        let rejected = try run(server, in: folder)
        #expect(rejected.status == 65)
        #expect(rejected.stderr.contains(#"tasks[3].inputImages = "@fox": task fox makes 3 images per request; name one: @fox#1 … @fox#3"#), "\(rejected.stderr)")
        #expect(rejected.stderr.contains(#"tasks[4].inputImages = "@fox#4": task fox makes 3 images per request; #4 names none of them"#))
        #expect(server.requests().isEmpty)

        _ = folder.write("m.json", manifest(""))
        let result = try run(server, in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let pick = try #require(server.requests().compactMap { $0.json() }.first { $0["prompt"] as? String == "the second fox at night" })
        let references = try #require(pick["input_references"] as? [[String: Any]])
        let url = try #require((references.first?["image_url"] as? [String: String])?["url"])
        #expect(url == "data:image/png;base64," + String(decoding: Base64.encode(bytes(folder.path + "/out/sheet/fox-2.png")), as: UTF8.self))
        let chat = try #require(requests(server, prompt: "the third fox in snow").first)
        #expect(referenceImages(of: chat) == [bytes(folder.path + "/out/sheet/fox-3.png")])
    }

    /// A producer may be in another manifest of the run; with --keep-going, a manifest whose
    /// producer is in a skipped (invalid) manifest is skipped too, and the others run.
    @Test func producersInOtherManifestsAndKeepGoing() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let defaults = #""defaults": {"image": {"model": "\#(Self.model)"}}"#
        folder.write("jobs/a.json", #"{"name": "a", \#(defaults), "tasks": [{"id": "prod", "prompt": "the producer"}]}"#)
        folder.write("jobs/b.json", #"{"name": "b", \#(defaults), "tasks": [{"id": "dep", "prompt": "the dependent", "inputImages": "@prod"}]}"#)
        folder.write("jobs/c.json", #"{"name": "c", \#(defaults), "tasks": [{"id": "broken", "prompt": "x", "count": 0}, {"id": "p2", "prompt": "y"}]}"#)
        folder.write("jobs/d.json", #"{"name": "d", \#(defaults), "tasks": [{"id": "orphan", "prompt": "the orphan", "inputImages": "@p2"}]}"#)
        let strict = try runCLI(["run", "jobs", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        #expect(strict.status == 65)
        #expect(generationRequests(server).isEmpty)
        let result = try runCLI(["run", "jobs", "--keep-going", "--output-root", "out", "--base-url", server.baseURL], environment: runEnvironment, in: folder.path)
        #expect(result.status == 65)
        #expect(result.stderr.contains(#"jobs/d.json:1: tasks[0].inputImages = "@p2": no task of the batch has the id "p2""#), "\(result.stderr)")
        #expect(requests(server, prompt: "the producer").count == 1)
        let dependent = try #require(requests(server, prompt: "the dependent").first)
        #expect(referenceImages(of: dependent) == [bytes(folder.path + "/out/a/prod.png")])
        #expect(requests(server, prompt: "the orphan").isEmpty)
        #expect(generationRequests(server).count == 2)
    }

    /// A dependent starts as soon as its producer is recorded, not after the rest of the batch.
    @Test func aDependentStartsAsSoonAsItsProducerIsRecorded() throws {
        let (server, folder) = try startFakeAndFolder()
        defer { server.stop(); folder.remove() }
        let others = (1...30).map { #"  {"id": "other\#($0)", "prompt": "other picture \#($0)"}"# }
        _ = folder.write("m.json", chainManifest("""
              {"id": "later", "prompt": "the dependent", "inputImages": "@first"},
              {"id": "first", "prompt": "the producer"},
            \(others.joined(separator: ",\n"))
            """))
        let result = try run(server, in: folder, ["--concurrency", "2"])
        #expect(result.status == 0, "\(result.stderr)")
        let order = generationRequests(server).compactMap { text(of: $0) }
        #expect(order.count == 32)
        let position = try #require(order.firstIndex(of: "the dependent"))
        let producer = try #require(order.firstIndex(of: "the producer"))
        #expect(producer <= 1 && producer < position)
        // At most the jobs already queued or in flight when the producer was recorded go before it.
        #expect(position <= 8, "\(order)")
    }
}

@Suite struct TaskReferenceTests {
    @Test func referencesParseWithAndWithoutAnImageNumber() {
        let plain = TaskReference(parsing: "@shot", field: "inputImages", index: 0)
        #expect(plain?.producerID == "shot" && plain?.imageNumber == nil && plain?.isWellFormed == true)
        let numbered = TaskReference(parsing: "@sheet#3", field: "inputImages", index: nil)
        #expect(numbered?.producerID == "sheet" && numbered?.imageNumber == 3 && numbered?.description == "@sheet#3")
        #expect(numbered?.pick(among: 4) == 2)
        #expect(numbered?.pick(among: 2) == nil)
        #expect(TaskReference(parsing: "@x#0", field: "inputImages", index: nil)?.isWellFormed == false)
        #expect(TaskReference(parsing: "@", field: "inputImages", index: nil)?.isWellFormed == false)
        #expect(TaskReference(parsing: "./@x.png", field: "inputImages", index: nil) == nil)
        #expect(TaskReference(parsing: "shot.png", field: "inputImages", index: nil) == nil)
    }
}
