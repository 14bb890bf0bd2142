// Command lua-health-runner runs an Argo CD resource health check the way Argo CD v3.5
// does (VM.ExecuteHealthLua in util/lua/lua.go of argoproj/argo-cd): gopher-lua v1.1.2, the
// package, base and table libraries opened on a state without the others, the object
// decoded into a Lua table as the global `obj`, an empty `actionParams`, a 1-second
// deadline, and the returned table encoded with gopher-json and decoded into
// {status, message}, with any status Argo CD does not know turned into Unknown. Argo CD also
// opens a restricted `os` library; our scripts do not use it, so it is left out.
//
// Input (stdin), JSON: {"script": "<lua>", "openLibs": false, "objects": [<object>, ...]}.
// Output (stdout), JSON: one {"status", "message"} or {"error"} per object, in order.
//
// With openLibs false (Argo CD's default for resource.customizations) only the base,
// table and package libraries are loaded, as in Argo CD; with true every standard library
// is (what Argo CD's own health_test.go uses).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	lua "github.com/yuin/gopher-lua"
	luajson "layeh.com/gopher-json"
)

type input struct {
	Script   string        `json:"script"`
	OpenLibs bool          `json:"openLibs"`
	Objects  []interface{} `json:"objects"`
}

type result struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

// Argo CD's isValidHealthStatusCode.
var validStatus = map[string]bool{
	"Unknown": true, "Progressing": true, "Healthy": true,
	"Suspended": true, "Degraded": true, "Missing": true,
}

// decodeValue mirrors Argo CD's: maps become tables, arrays 1-based tables.
func decodeValue(L *lua.LState, value interface{}) lua.LValue {
	switch converted := value.(type) {
	case bool:
		return lua.LBool(converted)
	case float64:
		return lua.LNumber(converted)
	case string:
		return lua.LString(converted)
	case json.Number:
		return lua.LString(converted)
	case []interface{}:
		arr := L.CreateTable(len(converted), 0)
		for _, item := range converted {
			arr.Append(decodeValue(L, item))
		}
		return arr
	case map[string]interface{}:
		tbl := L.CreateTable(0, len(converted))
		for key, item := range converted {
			tbl.RawSetH(lua.LString(key), decodeValue(L, item))
		}
		return tbl
	case nil:
		return lua.LNil
	}
	return lua.LNil
}

func run(script string, openLibs bool, obj interface{}) result {
	L := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	defer L.Close()
	for _, pair := range []struct {
		n string
		f lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(pair.f), NRet: 0, Protect: true}, lua.LString(pair.n)); err != nil {
			return result{Error: err.Error()}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("actionParams", L.CreateTable(0, 0))
	L.SetGlobal("obj", decodeValue(L, obj))
	if err := L.DoString(script); err != nil {
		return result{Error: err.Error()}
	}
	ret := L.Get(-1)
	if ret.Type() != lua.LTTable {
		return result{Error: fmt.Sprintf("expected a table back, got %s", ret.Type().String())}
	}
	encoded, err := luajson.Encode(ret)
	if err != nil {
		return result{Error: err.Error()}
	}
	var hs struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(encoded, &hs); err != nil {
		return result{Error: err.Error()}
	}
	if !validStatus[hs.Status] {
		return result{Status: "Unknown", Message: "Lua returned an invalid health status"}
	}
	return result{Status: hs.Status, Message: hs.Message}
}

func main() {
	// --deps: the module versions built in, so a test can check it runs Argo CD's Lua.
	if len(os.Args) > 1 && os.Args[1] == "--deps" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, d := range info.Deps {
				fmt.Printf("%s %s\n", d.Path, d.Version)
			}
		}
		return
	}
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "bad input:", err)
		os.Exit(1)
	}
	out := make([]result, 0, len(in.Objects))
	for _, o := range in.Objects {
		out = append(out, run(in.Script, in.OpenLibs, o))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
