package web

import (
	"strings"

	"github.com/safecase/safecase/internal/i18n"
)

// Device is what a User-Agent header says in plain words: the browser (or
// program) and the system it runs on, either empty when unknown.
type Device struct {
	Browser string
	System  string
}

// browsers are tried in order: many browsers also name the ones they
// descend from (Edge says Chrome and Safari; Chrome says Safari), so the
// most specific comes first.
var browsers = []struct{ token, name string }{
	{"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edg/", "Edge"}, {"Edge/", "Edge"},
	{"OPR/", "Opera"}, {"Opera", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"}, {"UCBrowser/", "UC Browser"},
	{"YaBrowser/", "Yandex Browser"}, {"Vivaldi/", "Vivaldi"},
	{"FxiOS/", "Firefox"}, {"Firefox/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chromium/", "Chromium"}, {"HeadlessChrome/", "Chrome"}, {"Chrome/", "Chrome"},
	{"Safari/", "Safari"}, {"Trident/", "Internet Explorer"}, {"MSIE ", "Internet Explorer"},
	{"curl/", "curl"}, {"Wget/", "Wget"}, {"python-requests/", "Python"}, {"Go-http-client/", "Go program"},
	{"okhttp/", "Android app"}, {"PostmanRuntime/", "Postman"},
}

// systems are tried in order, the most specific first (Android says Linux;
// iPhones say "like Mac OS X").
var systems = []struct{ token, name string }{
	{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"iPod", "iPod"},
	{"Android", "Android"}, {"CrOS", "ChromeOS"}, {"Windows Phone", "Windows Phone"},
	{"Windows", "Windows"}, {"Macintosh", "macOS"}, {"Mac OS X", "macOS"},
	{"KaiOS", "KaiOS"}, {"Ubuntu", "Ubuntu"}, {"Fedora", "Fedora"}, {"Linux", "Linux"}, {"X11", "Unix"},
}

// ParseDevice reads a User-Agent header. It looks for known tokens only,
// so any input, however long or odd, gives a short answer or nothing.
func ParseDevice(ua string) Device {
	if len(ua) > 512 {
		ua = ua[:512]
	}
	var d Device
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			d.Browser = b.name
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			d.System = s.name
			break
		}
	}
	return d
}

// deviceName says in words of l what device ua is: "Firefox on Windows",
// "Chrome", "a device on Android" or "an unknown device".
func deviceName(l *i18n.Locale, ua string) string {
	d := ParseDevice(ua)
	switch {
	case d.Browser != "" && d.System != "":
		return l.T("device.on", d.Browser, d.System)
	case d.Browser != "":
		return d.Browser
	case d.System != "":
		return l.T("device.system", d.System)
	}
	return l.T("device.unknown")
}
