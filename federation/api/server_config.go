package api

import (
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/peeredge/peeredge/origin"
)

// ServerInfo is what the server config says of the node that the rest of
// Config does not: who it is, which build runs, what it transcodes to.
type ServerInfo struct {
	// Name and ShortDescription present the instance; "" gives the
	// node's host and DefaultShortDescription.
	Name, ShortDescription string
	// Version and Commit are the build's (Commit "" when unknown).
	Version, Commit string
	// Resolutions are the heights of the transcoding ladder.
	Resolutions []int
	// TrendingDays is the window of the trending sort (zero:
	// origin.DefaultTrendingDays).
	TrendingDays int
}

// DefaultShortDescription presents a node whose admin said nothing.
const DefaultShortDescription = "A peeredge node: videos streamed over HLS from the node and shared peer to peer by their viewers."

// The server config's constants, each what the node does.
const (
	// viewReportMillis is how often players may report watching; however
	// often they do, a client's view counts once per Config.ViewLifetime.
	viewReportMillis = 5000
	// profileDefault is the one encoding profile: the ladder.
	profileDefault = "default"
	// mostViewed is PeerTube's name for the trending sort the node has:
	// views over the last TrendingDays.
	mostViewed = "most-viewed"
)

// uploadExtensions are containers of the video files the node takes: any
// file ffprobe finds a video stream in is taken, these are the usual ones.
var uploadExtensions = []string{
	".mp4", ".m4v", ".mov", ".qt", ".mkv", ".webm", ".ogv", ".avi", ".flv",
	".wmv", ".3gp", ".3g2", ".ts", ".mts", ".m2ts", ".mpg", ".mpeg", ".vob", ".mxf", ".nut",
}

type fileHolder struct {
	File fileRule `json:"file"`
}

type enabled struct {
	Enabled bool `json:"enabled"`
}

// fileRule is what uploads of one kind of file accept: the node takes
// thumbnails and previews with a video (when it can fit images), no
// avatars, banners or captions, so theirs are empty.
type fileRule struct {
	Extensions []string `json:"extensions"`
	Size       struct {
		Max int64 `json:"max"`
	} `json:"size"`
}

// serverConfigJSON is PeerTube's GET /api/v1/config (6.3), every field
// saying what is true of this node; the fields that mean nothing here hold
// PeerTube's neutral values (README, "fields kept neutral"). webrtc and
// video.file.size are the node's own additions.
type serverConfigJSON struct {
	AutoBlacklist struct {
		Videos struct {
			OfUsers enabled `json:"ofUsers"`
		} `json:"videos"`
	} `json:"autoBlacklist"`
	Avatar           fileHolder `json:"avatar"`
	Banner           fileHolder `json:"banner"`
	BroadcastMessage struct {
		Dismissable bool   `json:"dismissable"`
		Enabled     bool   `json:"enabled"`
		Level       string `json:"level"`
		Message     string `json:"message"`
	} `json:"broadcastMessage"`
	Client struct {
		Menu struct {
			Login struct {
				RedirectOnSingleExternalAuth bool `json:"redirectOnSingleExternalAuth"`
			} `json:"login"`
		} `json:"menu"`
		Videos struct {
			Miniature struct {
				DisplayAuthorAvatar     bool `json:"displayAuthorAvatar"`
				PreferAuthorDisplayName bool `json:"preferAuthorDisplayName"`
			} `json:"miniature"`
			ResumableUpload struct {
				MaxChunkSize int64 `json:"maxChunkSize"` // 0: any
			} `json:"resumableUpload"`
		} `json:"videos"`
	} `json:"client"`
	ContactForm enabled `json:"contactForm"`
	Defaults    struct {
		P2P struct {
			Embed  enabled `json:"embed"`
			Webapp enabled `json:"webapp"`
		} `json:"p2p"`
		Publish struct {
			CommentsEnabled bool           `json:"commentsEnabled"`
			CommentsPolicy  int            `json:"commentsPolicy"`
			DownloadEnabled bool           `json:"downloadEnabled"`
			Licence         *int           `json:"licence"`
			Privacy         origin.Privacy `json:"privacy"`
		} `json:"publish"`
	} `json:"defaults"`
	Email  enabled `json:"email"`
	Export struct {
		Users struct {
			Enabled           bool  `json:"enabled"`
			ExportExpiration  int64 `json:"exportExpiration"`
			MaxUserVideoQuota int64 `json:"maxUserVideoQuota"`
		} `json:"users"`
	} `json:"export"`
	Followings struct {
		Instance struct {
			AutoFollowIndex struct {
				IndexURL string `json:"indexUrl"`
			} `json:"autoFollowIndex"`
		} `json:"instance"`
	} `json:"followings"`
	Homepage enabled `json:"homepage"`
	Import   struct {
		Users                       enabled `json:"users"`
		VideoChannelSynchronization enabled `json:"videoChannelSynchronization"`
		Videos                      struct {
			HTTP    enabled `json:"http"`
			Torrent enabled `json:"torrent"`
		} `json:"videos"`
	} `json:"import"`
	Instance struct {
		Avatars        []string `json:"avatars"`
		Banners        []string `json:"banners"`
		Customizations struct {
			CSS        string `json:"css"`
			JavaScript string `json:"javascript"`
		} `json:"customizations"`
		DefaultClientRoute string `json:"defaultClientRoute"`
		DefaultNSFWPolicy  string `json:"defaultNSFWPolicy"`
		IsNSFW             bool   `json:"isNSFW"`
		Name               string `json:"name"`
		ShortDescription   string `json:"shortDescription"`
	} `json:"instance"`
	Live struct {
		AllowReplay      bool    `json:"allowReplay"`
		Enabled          bool    `json:"enabled"`
		LatencySetting   enabled `json:"latencySetting"`
		MaxDuration      int64   `json:"maxDuration"`
		MaxInstanceLives int     `json:"maxInstanceLives"`
		MaxUserLives     int     `json:"maxUserLives"`
		RTMP             struct {
			Port int `json:"port"`
		} `json:"rtmp"`
		Transcoding transcodingJSON `json:"transcoding"`
	} `json:"live"`
	OpenTelemetry struct {
		Metrics struct {
			Enabled               bool  `json:"enabled"`
			PlaybackStatsInterval int64 `json:"playbackStatsInterval"`
		} `json:"metrics"`
	} `json:"openTelemetry"`
	Plugin struct {
		Registered               []string `json:"registered"`
		RegisteredExternalAuths  []string `json:"registeredExternalAuths"`
		RegisteredIDAndPassAuths []string `json:"registeredIdAndPassAuths"`
	} `json:"plugin"`
	Search struct {
		RemoteURI struct {
			Anonymous bool `json:"anonymous"`
			Users     bool `json:"users"`
		} `json:"remoteUri"`
		SearchIndex struct {
			DisableLocalSearch bool   `json:"disableLocalSearch"`
			Enabled            bool   `json:"enabled"`
			IsDefaultSearch    bool   `json:"isDefaultSearch"`
			URL                string `json:"url"`
		} `json:"searchIndex"`
	} `json:"search"`
	ServerCommit  string `json:"serverCommit"`
	ServerVersion string `json:"serverVersion"`
	Signup        struct {
		Allowed                   bool `json:"allowed"`
		AllowedForCurrentIP       bool `json:"allowedForCurrentIP"`
		MinimumAge                int  `json:"minimumAge"`
		RequiresApproval          bool `json:"requiresApproval"`
		RequiresEmailVerification bool `json:"requiresEmailVerification"`
	} `json:"signup"`
	Storyboards enabled `json:"storyboards"`
	Theme       struct {
		Default    string   `json:"default"`
		Registered []string `json:"registered"`
	} `json:"theme"`
	Tracker     enabled         `json:"tracker"`
	Transcoding transcodingJSON `json:"transcoding"`
	Trending    struct {
		Videos struct {
			Algorithms struct {
				Default string   `json:"default"`
				Enabled []string `json:"enabled"`
			} `json:"algorithms"`
			IntervalDays int `json:"intervalDays"`
		} `json:"videos"`
	} `json:"trending"`
	User struct {
		VideoQuota      int64 `json:"videoQuota"`
		VideoQuotaDaily int64 `json:"videoQuotaDaily"`
	} `json:"user"`
	Video struct {
		File  fileRule `json:"file"`
		Image fileRule `json:"image"`
	} `json:"video"`
	VideoCaption  fileHolder `json:"videoCaption"`
	VideoChannels struct {
		MaxPerUser int `json:"maxPerUser"`
	} `json:"videoChannels"`
	VideoFile struct {
		Update enabled `json:"update"`
	} `json:"videoFile"`
	VideoStudio        runnerFeature `json:"videoStudio"`
	VideoTranscription runnerFeature `json:"videoTranscription"`
	Views              struct {
		Videos struct {
			WatchingInterval struct {
				Anonymous int `json:"anonymous"`
				Users     int `json:"users"`
			} `json:"watchingInterval"`
		} `json:"videos"`
	} `json:"views"`
	Webadmin struct {
		Configuration struct {
			Edition struct {
				Allowed bool `json:"allowed"`
			} `json:"edition"`
		} `json:"configuration"`
	} `json:"webadmin"`
	WebRTC struct {
		STUNServers []string `json:"stunServers"`
	} `json:"webrtc"`
}

// transcodingJSON is the transcoding of uploads and (its part of it) lives.
// Fields a side lacks are left out.
type transcodingJSON struct {
	AvailableProfiles  []string `json:"availableProfiles"`
	Enabled            *bool    `json:"enabled,omitempty"` // lives only
	EnabledResolutions []int    `json:"enabledResolutions"`
	HLS                *enabled `json:"hls,omitempty"` // uploads only
	Profile            string   `json:"profile"`
	RemoteRunners      enabled  `json:"remoteRunners"`
	WebVideos          *enabled `json:"web_videos,omitempty"` // uploads only
}

type runnerFeature struct {
	Enabled       bool    `json:"enabled"`
	RemoteRunners enabled `json:"remoteRunners"`
}

// serverConfig answers PeerTube's server config. Players read
// tracker.enabled (the admin's P2P switch, now) and webrtc.stunServers
// (the STUN/TURN servers the node names; an empty list means none).
func (a *API) serverConfig(ctx *fasthttp.RequestCtx) {
	writeJSON(ctx, fasthttp.StatusOK, a.serverConfigJSON())
}

func (a *API) serverConfigJSON() serverConfigJSON {
	var c serverConfigJSON
	p2p := a.cfg.P2P.P2PEnabled()
	info := a.cfg.Server

	c.Instance.Name = info.Name
	if c.Instance.Name == "" {
		c.Instance.Name = a.cfg.URLs.Host()
	}
	c.Instance.ShortDescription = info.ShortDescription
	if c.Instance.ShortDescription == "" {
		c.Instance.ShortDescription = DefaultShortDescription
	}
	c.Instance.Avatars, c.Instance.Banners = []string{}, []string{}
	c.Instance.DefaultClientRoute = "/"      // the home page lists the videos
	c.Instance.DefaultNSFWPolicy = "display" // lists and pages show NSFW videos as any other
	c.ServerVersion, c.ServerCommit = info.Version, info.Commit

	c.Tracker.Enabled = p2p
	c.Defaults.P2P.Webapp.Enabled, c.Defaults.P2P.Embed.Enabled = p2p, p2p
	c.WebRTC.STUNServers = append([]string{}, a.cfg.STUNServers...)

	// A video sent with no attributes gets origin.Details' zero values.
	var d origin.Details
	c.Defaults.Publish.CommentsPolicy = d.Comments()
	c.Defaults.Publish.CommentsEnabled = d.Comments() == origin.CommentsEnabled
	c.Defaults.Publish.DownloadEnabled = !d.DownloadDisabled
	c.Defaults.Publish.Privacy = d.Visibility()

	c.ContactForm.Enabled = a.cfg.Contacts != nil
	c.Email.Enabled = a.cfg.ContactMail != nil
	c.User.VideoQuota, c.User.VideoQuotaDaily = -1, -1 // one file's size is bounded, not a user's total
	c.VideoChannels.MaxPerUser = 1                     // the admin's own channel; no more can be made

	c.Video.File.Extensions = slices.Clone(uploadExtensions)
	c.Video.File.Size.Max = a.cfg.MaxUploadSize
	c.Video.Image.Extensions = []string{}
	if a.cfg.Images != nil {
		c.Video.Image.Extensions = slices.Clone(customImageExtensions)
		c.Video.Image.Size.Max = maxCustomImageBytes
	}
	c.Avatar.File.Extensions, c.Banner.File.Extensions = []string{}, []string{}
	c.VideoCaption.File.Extensions = []string{}

	c.Transcoding = transcodingJSON{
		AvailableProfiles:  []string{profileDefault},
		EnabledResolutions: slices.Sorted(slices.Values(info.Resolutions)),
		HLS:                &enabled{Enabled: true},
		Profile:            profileDefault,
		WebVideos:          &enabled{Enabled: false},
	}
	if c.Transcoding.EnabledResolutions == nil {
		c.Transcoding.EnabledResolutions = []int{}
	}
	c.Live.Transcoding = transcodingJSON{
		AvailableProfiles:  []string{},
		Enabled:            new(bool),
		EnabledResolutions: []int{},
	}

	days := info.TrendingDays
	if days <= 0 {
		days = origin.DefaultTrendingDays
	}
	c.Trending.Videos.IntervalDays = days
	c.Trending.Videos.Algorithms.Default = mostViewed
	c.Trending.Videos.Algorithms.Enabled = []string{mostViewed}
	c.Views.Videos.WatchingInterval.Anonymous = viewReportMillis
	c.Views.Videos.WatchingInterval.Users = viewReportMillis

	c.BroadcastMessage.Level = "info"
	c.Theme.Default = "default"
	c.Theme.Registered = []string{}
	c.Plugin.Registered, c.Plugin.RegisteredExternalAuths, c.Plugin.RegisteredIDAndPassAuths = []string{}, []string{}, []string{}
	return c
}
