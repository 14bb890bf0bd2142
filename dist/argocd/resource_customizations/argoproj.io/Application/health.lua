-- Argo CD health of an Argo CD Application, so that sync waves between the Kelos
-- Applications (CRDs, install, apps) wait for the earlier one to be healthy. Argo CD 1.8
-- removed this built-in check; its documentation gives this script to bring it back.
local hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil and obj.status.health ~= nil then
  hs.status = obj.status.health.status
  if obj.status.health.message ~= nil then
    hs.message = obj.status.health.message
  end
end
return hs
