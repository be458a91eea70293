-- CreateTable
CREATE TABLE "ExternalScepProfile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "scepUrl" TEXT NOT NULL,
    "caCertsPem" TEXT NOT NULL,
    "caFingerprintSha256" TEXT NOT NULL,
    "caFingerprintSha1" TEXT NOT NULL,
    "challengeSource" TEXT NOT NULL DEFAULT 'NONE',
    "staticChallengeEnc" TEXT,
    "challengeUrl" TEXT,
    "challengeUsername" TEXT,
    "challengePasswordEnc" TEXT,
    "challengeJsonField" TEXT,
    "subjectTemplate" TEXT NOT NULL DEFAULT 'CN=$UDID',
    "subjectAltNameJson" TEXT,
    "keySize" INTEGER NOT NULL DEFAULT 2048,
    "keyUsage" INTEGER NOT NULL DEFAULT 1,
    "nonExportable" BOOLEAN NOT NULL DEFAULT true,
    "allowAllAppsAccess" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "ExternalScepProfile_name_key" ON "ExternalScepProfile"("name");
