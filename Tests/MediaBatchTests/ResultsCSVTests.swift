import FakeOpenRouter
import Foundation
import Journal
import Manifest
import Reports
import Runner
import Testing
import TestSupport

/// `.mediabatch/results.csv` and `--results FILE`: every task of the manifest with its row's
/// columns, files, status, cost and error, after a partial run.
@Suite struct ResultsCSVTests {
    @Test func resultsAfterAPartialRunListEveryRowWithItsStatus() throws {
        let server = try startFake()
        defer { server.stop() }
        let folder = TempFolder()
        defer { folder.remove() }
        folder.write("shots.csv", #"""
            sku,look
            A1,"calm, blue"
            B2,"#fake:status=400 broken"
            C3,#fake:refuse=content_filter
            D4,"say ""cheese"""

            """#)
        let manifest = """
            {"name": "shots", "rows": "shots.csv", "defaults": {"image": {"model": "google/gemini-2.5-flash-image"}},
             "tasks": [{"id": "{sku}", "prompt": "Photo, {look}"}]}
            """
        _ = try runAgainst(server, manifest: manifest, in: folder) {
            $0.maxAttempts = 1
            $0.resultsFile = folder.path + "/joined.csv"
        }
        let kept = try String(contentsOfFile: folder.path + "/out/shots/.mediabatch/results.csv", encoding: .utf8)
        let lines = kept.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 5, "\(kept)")
        #expect(lines[0] == "id,sku,look,files,status,cost,error")
        #expect(lines[1].hasPrefix("A1,A1,\"calm, blue\",A1.png,done,"), "\(lines[1])")
        #expect(lines[2].hasPrefix("B2,B2,#fake:status=400 broken,,failed,"), "\(lines[2])")
        #expect(lines[3].hasPrefix("C3,C3,#fake:refuse=content_filter,,refused,"), "\(lines[3])")
        #expect(lines[4].hasPrefix("D4,D4,\"say \"\"cheese\"\"\",D4.png,done,"), "\(lines[4])")
        #expect(try String(contentsOfFile: folder.path + "/joined.csv", encoding: .utf8) == kept)
        // Read back with the rows reader: the columns survive the round trip.
        let table = try CSVTable(bytes: Array(kept.utf8), delimiter: UInt8(ascii: ","))
        #expect(try table.fields(of: 3)[2] == "say \"cheese\"")
    }

    /// A narration chunk costs fractions of a cent: the spreadsheet gets plain decimals.
    @Test(arguments: [(4.8e-05, "0.000048"), (0.039, "0.039"), (1.6, "1.6"), (2, "2"), (1e-10, "0.0000000001"), (12.3456789, "12.3456789")])
    func costsArePlainDecimals(dollars: Double, text: String) {
        #expect(ResultsCSV.plainDecimal(dollars) == text)
    }

    @Test func aTaskNeverRunIsPending() {
        let tasks = [ResultsCSV.Task(id: "x", folder: "/f", columns: [("a", "1")])]
        let text = String(decoding: ResultsCSV.text(tasks, indexes: ["/f": JournalIndex()]), as: UTF8.self)
        #expect(text == "id,a,files,status,cost,error\r\nx,1,,pending,,\r\n")
    }
}
