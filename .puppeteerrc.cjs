// mermaid-cli pulls in puppeteer; on these machines it must use Debian's chromium
// instead of downloading a browser (which fails and would break `npm ci`).
module.exports = { skipDownload: true, executablePath: '/usr/bin/chromium' };
