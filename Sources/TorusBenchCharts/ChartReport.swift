import Foundation

/// A directory of charts a browser opens: one SVG file per chart and an `index.html`
/// that shows and links them all.
public enum ChartReport {
    /// Writes every chart of `charts` (``BarChart/fileName``) and the index, headed by
    /// `heading` and `note`, into `directory`, creating it when missing.
    public static func write(_ charts: [BarChart], heading: String, note: String, to directory: String) throws {
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for chart in charts {
            try Data(chart.svg.utf8).write(to: folder.appendingPathComponent(chart.fileName))
        }
        try Data(index(charts, heading: heading, note: note).utf8).write(
            to: folder.appendingPathComponent("index.html"))
    }

    /// The index page: the heading, the note, a list of links, then every chart in turn.
    public static func index(_ charts: [BarChart], heading: String, note: String) -> String {
        var lines = [
            "<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
            "<title>\(heading.xmlEscaped)</title>",
            "<style>body{font-family:sans-serif;margin:2em}img{max-width:100%;border:1px solid #ddd}</style>",
            "</head>", "<body>", "<h1>\(heading.xmlEscaped)</h1>", "<p>\(note.xmlEscaped)</p>", "<ul>",
        ]
        for chart in charts {
            lines.append("<li><a href=\"\(chart.fileName.xmlEscaped)\">\(chart.title.xmlEscaped)</a></li>")
        }
        lines.append("</ul>")
        for chart in charts {
            lines.append(
                "<figure><a href=\"\(chart.fileName.xmlEscaped)\"><img src=\"\(chart.fileName.xmlEscaped)\""
                    + " alt=\"\(chart.title.xmlEscaped)\"></a></figure>")
        }
        lines += ["</body>", "</html>"]
        return lines.joined(separator: "\n") + "\n"
    }
}
