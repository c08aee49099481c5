import Mustache

/// The wiki's pages as Mustache templates (HTML content: `{{x}}` is escaped; `{{{x}}}` only
/// for HTML the server built and escaped itself), compiled once.
struct Templates: Sendable {
    let layout: MustacheTemplate
    let home: MustacheTemplate
    let list: MustacheTemplate
    let detail: MustacheTemplate
    let error: MustacheTemplate

    static let shared = Templates()

    private init() {
        func compile(_ s: String) -> MustacheTemplate {
            do { return try MustacheTemplate(string: s) } catch { fatalError("built-in page template: \(error)") }
        }
        layout = compile(Templates.layoutSource)
        home = compile(Templates.homeSource)
        list = compile(Templates.listSource)
        detail = compile(Templates.detailSource)
        error = compile(Templates.errorSource)
    }

    static let layoutSource = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Sift</title>
        <style>
        :root { --fg:#1d2329; --muted:#5f6b76; --line:#dde3e8; --accent:#0b62c4; --mark:#fff3b0; }
        * { box-sizing: border-box; }
        body { margin:0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; color:var(--fg); background:#fafbfc; }
        header { background:#fff; border-bottom:1px solid var(--line); }
        header .bar { max-width:860px; margin:0 auto; padding:10px 16px; display:flex; gap:16px; align-items:center; flex-wrap:wrap; }
        header a.brand { font-weight:700; color:var(--fg); text-decoration:none; font-size:18px; }
        nav.crumbs { max-width:860px; margin:0 auto; padding:8px 16px 0; color:var(--muted); font-size:14px; }
        nav.crumbs a { color:var(--muted); }
        main { max-width:860px; margin:0 auto; padding:8px 16px 48px; }
        form.ask { display:flex; gap:8px; flex:1; min-width:240px; }
        form.ask input[type=text] { flex:1; padding:8px 10px; font-size:16px; border:1px solid var(--line); border-radius:6px; min-width:0; }
        form.ask button { padding:8px 14px; font-size:16px; border:0; border-radius:6px; background:var(--accent); color:#fff; cursor:pointer; }
        h1 { font-size:26px; line-height:1.3; margin:18px 0 10px; }
        h2 { font-size:19px; margin:28px 0 8px; border-bottom:1px solid var(--line); padding-bottom:4px; }
        .lead { font-size:18px; margin:8px 0 12px; }
        ul.points li { margin:6px 0; }
        sup a, a.cite { text-decoration:none; color:var(--accent); font-weight:600; }
        .note { color:var(--muted); font-size:14px; background:#f1f4f7; border-radius:6px; padding:8px 10px; margin:14px 0; }
        .other { color:var(--muted); font-size:13px; }
        ol.refs { padding-left:0; list-style:none; }
        ol.refs li { margin:10px 0 14px; padding:10px 12px; background:#fff; border:1px solid var(--line); border-radius:8px; }
        ol.refs li:target { border-color:var(--accent); box-shadow:0 0 0 2px #cfe2fb; }
        .ref-title { font-weight:600; }
        .excerpt { margin:4px 0; color:#2c353d; }
        .where { color:var(--muted); font-size:13px; word-break:break-all; }
        mark { background:var(--mark); padding:0 1px; }
        ul.qs { list-style:none; padding:0; }
        ul.qs li { padding:10px 0; border-bottom:1px solid var(--line); }
        ul.qs a.q { font-weight:600; color:var(--fg); }
        .summary { color:#2c353d; font-size:15px; margin-top:2px; }
        .date { color:var(--muted); font-size:13px; }
        .pager { display:flex; gap:12px; margin-top:16px; }
        .empty { color:var(--muted); }
        .columns { display:grid; grid-template-columns:1fr 1fr; gap:24px; }
        @media (max-width: 640px) { .columns { grid-template-columns:1fr; } h1 { font-size:22px; } }
        </style>
        </head>
        <body>
        <header><div class="bar"><a class="brand" href="/">Sift</a>
        <form class="ask" action="/ask" method="get" role="search">
        <input type="text" name="q" value="{{query}}" maxlength="{{maxQuestion}}" placeholder="{{placeholder}}" aria-label="{{placeholder}}" required>
        <button type="submit">{{askLabel}}</button></form></div></header>
        <nav class="crumbs">{{#crumbs}}{{#href}}<a href="{{href}}">{{label}}</a> / {{/href}}{{^href}}<span>{{label}}</span>{{/href}}{{/crumbs}}</nav>
        <main>
        {{{body}}}
        </main>
        </body>
        </html>
        """

    static let homeSource = """
        <h1>{{heading}}</h1>
        <div class="columns">
        <section><h2>{{recentHeading}}</h2>
        {{#hasRecent}}<ul class="qs">{{#recent}}<li><a class="q" href="/questions/{{id}}">{{question}}</a> <span class="date">{{day}}</span>{{#summary}}<div class="summary">{{summary}}</div>{{/summary}}</li>{{/recent}}</ul>{{/hasRecent}}
        {{^hasRecent}}<p class="empty">{{noneYet}}</p>{{/hasRecent}}</section>
        <section><h2>{{mostHeading}}</h2>
        {{#hasMost}}<ul class="qs">{{#most}}<li><a class="q" href="/questions/{{id}}">{{question}}</a> <span class="date">×{{count}}</span></li>{{/most}}</ul>{{/hasMost}}
        {{^hasMost}}<p class="empty">{{noneYet}}</p>{{/hasMost}}</section>
        </div>
        <p><a href="/questions">{{allLink}}</a></p>
        """

    static let listSource = """
        <h1>{{heading}}</h1>
        <form class="ask" action="/questions" method="get" role="search">
        <input type="text" name="q" value="{{filter}}" maxlength="{{maxQuestion}}" placeholder="{{filterPlaceholder}}" aria-label="{{filterPlaceholder}}">
        <button type="submit">{{filterLabel}}</button></form>
        <p class="date">{{countLine}}</p>
        {{#hasEntries}}<ul class="qs">{{#entries}}<li><a class="q" href="/questions/{{id}}">{{question}}</a> <span class="date">{{day}}{{#count}} · ×{{count}}{{/count}}</span>{{#summary}}<div class="summary">{{summary}}</div>{{/summary}}</li>{{/entries}}</ul>{{/hasEntries}}
        {{^hasEntries}}<p class="empty">{{noMatch}}</p>{{/hasEntries}}
        <div class="pager">{{#previous}}<a href="{{previous}}">← {{previousLabel}}</a>{{/previous}}{{#next}}<a href="{{next}}">{{nextLabel}} →</a>{{/next}}</div>
        """

    static let detailSource = """
        <article>
        <h1>{{question}}</h1>
        {{#answered}}
        {{#lead}}<p class="lead">{{display}} {{#citations}}<sup><a class="cite" href="#ref-{{number}}">[{{number}}]</a></sup>{{/citations}}{{#otherLanguage}} <span class="other">({{sourceNote}})</span>{{/otherLanguage}}</p>{{/lead}}
        {{#hasPoints}}<ul class="points">{{#points}}<li>{{display}} {{#citations}}<sup><a class="cite" href="#ref-{{number}}">[{{number}}]</a></sup>{{/citations}}{{#otherLanguage}} <span class="other">({{sourceNote}})</span>{{/otherLanguage}}</li>{{/points}}</ul>{{/hasPoints}}
        {{#hasSenses}}<p>{{sensesHeading}}</p><ul class="points">{{#senses}}<li>{{display}} {{#citations}}<sup><a class="cite" href="#ref-{{number}}">[{{number}}]</a></sup>{{/citations}}</li>{{/senses}}</ul>{{/hasSenses}}
        <p class="note">{{assembledNote}}</p>
        {{/answered}}
        {{^answered}}<p class="lead">{{noAnswer}}</p>{{#hasReferences}}<p>{{nearestHeading}}</p>{{/hasReferences}}{{/answered}}
        {{#hasReferences}}<section><h2>{{referencesHeading}}</h2><ol class="refs">
        {{#references}}<li id="ref-{{number}}"><div class="ref-title">[{{number}}] {{#url}}<a href="{{url}}" rel="nofollow noopener">{{title}}</a>{{/url}}{{^url}}{{title}}{{/url}}</div>
        <div class="excerpt">{{{excerptHTML}}}</div><div class="where">{{source}} · {{start}}–{{end}}</div></li>{{/references}}
        </ol></section>{{/hasReferences}}
        <section><h2>{{othersHeading}}</h2>
        {{#hasRelated}}<ul class="qs">{{#related}}<li>{{#id}}<a class="q" href="/questions/{{id}}">{{question}}</a>{{/id}}{{^id}}<a class="q" href="/ask?q={{encoded}}">{{question}}</a>{{/id}} <span class="date">{{day}}</span>{{#summary}}<div class="summary">{{summary}}</div>{{/summary}}</li>{{/related}}</ul>{{/hasRelated}}
        {{^hasRelated}}<p class="empty">{{noneYet}}</p>{{/hasRelated}}</section>
        </article>
        """

    static let errorSource = """
        <h1>{{status}}</h1>
        <p>{{message}}</p>
        <p><a href="/">{{homeLink}}</a></p>
        """
}
