-- CreateTable
CREATE TABLE "ScepTransaction" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "profileId" TEXT NOT NULL,
    "transactionId" TEXT NOT NULL,
    "authority" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "signerKeyHash" TEXT NOT NULL,
    "cipherOid" TEXT NOT NULL,
    "serial" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ScepTransaction_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "ScepProfile" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_ScepProfile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "challengeType" TEXT NOT NULL,
    "staticChallengeEnc" TEXT,
    "ndesUsername" TEXT,
    "ndesPasswordHash" TEXT,
    "subjectTemplate" TEXT NOT NULL DEFAULT 'CN=$UDID',
    "keySize" INTEGER NOT NULL DEFAULT 2048,
    "keyUsage" INTEGER NOT NULL DEFAULT 5,
    "validityDays" INTEGER NOT NULL DEFAULT 365,
    "renewalWindowDays" INTEGER NOT NULL DEFAULT 30,
    "nonExportable" BOOLEAN NOT NULL DEFAULT true,
    "allowAllAppsAccess" BOOLEAN NOT NULL DEFAULT false,
    "ndesCacheSize" INTEGER NOT NULL DEFAULT 5,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_ScepProfile" ("allowAllAppsAccess", "challengeType", "createdAt", "id", "keySize", "keyUsage", "name", "ndesPasswordHash", "ndesUsername", "nonExportable", "renewalWindowDays", "staticChallengeEnc", "subjectTemplate", "updatedAt", "validityDays") SELECT "allowAllAppsAccess", "challengeType", "createdAt", "id", "keySize", "keyUsage", "name", "ndesPasswordHash", "ndesUsername", "nonExportable", "renewalWindowDays", "staticChallengeEnc", "subjectTemplate", "updatedAt", "validityDays" FROM "ScepProfile";
DROP TABLE "ScepProfile";
ALTER TABLE "new_ScepProfile" RENAME TO "ScepProfile";
CREATE UNIQUE INDEX "ScepProfile_name_key" ON "ScepProfile"("name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "ScepTransaction_createdAt_idx" ON "ScepTransaction"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "ScepTransaction_profileId_transactionId_authority_key" ON "ScepTransaction"("profileId", "transactionId", "authority");
